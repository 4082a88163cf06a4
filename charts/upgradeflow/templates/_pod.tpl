{{/*
The step pod, twice: as the JSON the DAG factory (dags/steps.py) reads, and as a full
Pod manifest for KubernetesPodOperator's pod_template_file. Both come from the same
values so they cannot drift apart.
*/}}

{{- define "upgradeflow.podSettings" -}}
{{- $secrets := list }}
{{- if .Values.credentials.existingSecret }}
{{- $secrets = list .Values.credentials.existingSecret }}
{{- end }}
{{- $settings := dict
  "image" (include "upgradeflow.image" .)
  "imagePullPolicy" .Values.image.pullPolicy
  "namespace" .Release.Namespace
  "serviceAccountName" (include "upgradeflow.serviceAccountName" .)
  "resources" (dict
    "requests" (default (dict) .Values.steps.resources.requests)
    "limits" (default (dict) .Values.steps.resources.limits))
  "gpu" (int .Values.steps.gpu)
  "nodeSelector" (default (dict) .Values.steps.nodeSelector)
  "tolerations" (default (list) .Values.steps.tolerations)
  "configMap" (include "upgradeflow.settingsName" .)
  "secrets" $secrets
  "inCluster" true
}}
{{- toPrettyJson $settings }}
{{- end }}

{{- define "upgradeflow.pod" -}}
apiVersion: v1
kind: Pod
metadata:
  name: upgradeflow-step
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "upgradeflow.labels" . | nindent 4 }}
spec:
  serviceAccountName: {{ include "upgradeflow.serviceAccountName" . }}
  automountServiceAccountToken: false
  restartPolicy: Never
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  {{- with .Values.steps.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.steps.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    # "base" is the container KubernetesPodOperator fills in (command, arguments).
    - name: base
      image: {{ include "upgradeflow.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      env:
        - name: UPGRADEFLOW_RESULT_FILE
          value: /airflow/xcom/return.json
      envFrom:
        - configMapRef:
            name: {{ include "upgradeflow.settingsName" . }}
        {{- if .Values.credentials.existingSecret }}
        - secretRef:
            name: {{ .Values.credentials.existingSecret }}
        {{- end }}
      resources:
        {{- with .Values.steps.resources.requests }}
        requests:
          {{- toYaml . | nindent 10 }}
        {{- end }}
        limits:
          {{- include "upgradeflow.limits" . | nindent 10 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: false
        capabilities:
          drop: ["ALL"]
{{- end }}
