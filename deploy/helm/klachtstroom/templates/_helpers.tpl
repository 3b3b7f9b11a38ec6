{{- define "klachtstroom.labels" -}}
app.kubernetes.io/name: klachtstroom
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "klachtstroom.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "klachtstroom.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment of every service: settings from the ConfigMap, secrets from their Secrets. */}}
{{- define "klachtstroom.env" -}}
- name: KLACHTSTROOM_KAFKA_SASL_USERNAME
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.credentialsSecret }}, key: username } }
- name: KLACHTSTROOM_KAFKA_SASL_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.credentialsSecret }}, key: password } }
- name: KLACHTSTROOM_OIDC_CLIENT_ID
  valueFrom: { secretKeyRef: { name: {{ .Values.oidc.clientSecret }}, key: client-id } }
- name: KLACHTSTROOM_OIDC_CLIENT_SECRET
  valueFrom: { secretKeyRef: { name: {{ .Values.oidc.clientSecret }}, key: client-secret } }
- name: KLACHTSTROOM_OIDC_SIGNIN_CLIENT_ID
  valueFrom: { secretKeyRef: { name: {{ .Values.oidc.clientSecret }}, key: signin-client-id, optional: true } }
- name: KLACHTSTROOM_OIDC_SIGNIN_CLIENT_SECRET
  valueFrom: { secretKeyRef: { name: {{ .Values.oidc.clientSecret }}, key: signin-client-secret, optional: true } }
- name: KLACHTSTROOM_SESSION_SECRET
  valueFrom: { secretKeyRef: { name: {{ .Values.oidc.clientSecret }}, key: session-secret } }
{{- end -}}
