-- One database per service (a service never reads another's database).
CREATE DATABASE intake OWNER klachtstroom;
CREATE DATABASE routing OWNER klachtstroom;
CREATE DATABASE deadlines OWNER klachtstroom;
CREATE DATABASE reporting OWNER klachtstroom;
