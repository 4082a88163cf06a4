{{/*
Names and labels shared by every resource of the chart.
*/}}

{{- define "upgradeflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
release-chart, or the release name alone when it already contains the chart name
(so "helm install upgradeflow" gives "upgradeflow-settings", not "upgradeflow-upgradeflow-settings").
Truncated so that suffixed names stay within 63 characters.
*/}}
{{- define "upgradeflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "upgradeflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "upgradeflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "upgradeflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "upgradeflow.labels" -}}
helm.sh/chart: {{ include "upgradeflow.chart" . }}
{{ include "upgradeflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: upgradeflow
{{- end }}

{{/* The service account the step pods run as. */}}
{{- define "upgradeflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-steps" (include "upgradeflow.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "upgradeflow.settingsName" -}}
{{- printf "%s-settings" (include "upgradeflow.fullname" .) }}
{{- end }}

{{- define "upgradeflow.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag }}
{{- end }}

{{/* Resource limits of a step pod: the chart's, plus nvidia.com/gpu when steps.gpu > 0. */}}
{{- define "upgradeflow.limits" -}}
{{- $limits := deepCopy (default (dict) .Values.steps.resources.limits) }}
{{- if gt (int .Values.steps.gpu) 0 }}
{{- $_ := set $limits "nvidia.com/gpu" (toString (int .Values.steps.gpu)) }}
{{- end }}
{{- toYaml $limits }}
{{- end }}

{{/*
The query service (upgradeflow serve): its name, the labels that select its pods, its
image (the chart's repository, serve.imageTag over image.tag) and its command line.
*/}}
{{- define "upgradeflow.serveName" -}}
{{- printf "%s-serve" (include "upgradeflow.fullname" .) }}
{{- end }}

{{- define "upgradeflow.serveSelectorLabels" -}}
{{ include "upgradeflow.selectorLabels" . }}
app.kubernetes.io/component: serve
{{- end }}

{{- define "upgradeflow.serveLabels" -}}
{{ include "upgradeflow.labels" . }}
app.kubernetes.io/component: serve
{{- end }}

{{/* The Secret holding the bearer token: the one named in the values, or the generated one. */}}
{{- define "upgradeflow.serveTokenSecret" -}}
{{- default (printf "%s-serve-token" (include "upgradeflow.fullname" .)) .Values.serve.token.secretName }}
{{- end }}

{{- define "upgradeflow.serveImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Values.image.tag .Values.serve.imageTag) }}
{{- end }}

{{/*
The storage root is the steps' (settings.UPGRADEFLOW_STORE). Integers go through int64:
Helm reads numbers as floats, which print as 1.048576e+06 from a million up.
*/}}
{{- define "upgradeflow.serveCommand" -}}
{{- $serve := .Values.serve }}
{{- $root := required "serve.enabled needs settings.UPGRADEFLOW_STORE, the storage root the query service reads" .Values.settings.UPGRADEFLOW_STORE }}
{{- $command := list
  "upgradeflow" "serve"
  "--root" $root
  "--host" "0.0.0.0"
  "--port" (toString (int64 $serve.port))
  "--gallery" $serve.gallery
  "--index" $serve.index
  "--poll-seconds" (toString $serve.pollSeconds)
  "--max-k" (toString (int64 $serve.maxK))
  "--max-batch" (toString (int64 $serve.maxBatch))
  "--max-body-bytes" (toString (int64 $serve.maxBodyBytes))
}}
{{- if $serve.model }}
{{- $command = concat $command (list "--model" $serve.model) }}
{{- end }}
{{- toYaml $command }}
{{- end }}
