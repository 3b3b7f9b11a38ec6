"""Personal data in routing over its life: what a person may see (AVG art. 15) and when a
closed file is destroyed (Selectielijst gemeenten)."""
