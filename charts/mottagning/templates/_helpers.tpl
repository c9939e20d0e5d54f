{{/* Chart name. */}}
{{- define "mottagning.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name, at most 63 characters. */}}
{{- define "mottagning.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mottagning.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels shared by all pods of the release. */}}
{{- define "mottagning.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mottagning.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mottagning.labels" -}}
helm.sh/chart: {{ include "mottagning.chart" . }}
{{ include "mottagning.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mottagning
{{- end }}

{{/*
Per-component labels. Call with (dict "ctx" $ "component" "serve").
*/}}
{{- define "mottagning.componentSelectorLabels" -}}
{{ include "mottagning.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mottagning.componentLabels" -}}
{{ include "mottagning.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mottagning.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mottagning.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mottagning.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* Name of the Secret with the runtime secrets. */}}
{{- define "mottagning.secretName" -}}
{{- default (include "mottagning.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Name and key of the Secret holding the schema owner's DATABASE_URL for migrate. */}}
{{- define "mottagning.migrateSecretName" -}}
{{- if .Values.migrate.existingSecret }}
{{- .Values.migrate.existingSecret }}
{{- else if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-migrate" (include "mottagning.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "mottagning.migrateSecretKey" -}}
{{- if or .Values.migrate.existingSecret .Values.secrets.existingSecret }}
{{- .Values.migrate.existingSecretKey }}
{{- else }}
{{- "DATABASE_URL" }}
{{- end }}
{{- end }}

{{/*
Fail unless every comma-separated code is an EU/EEA ISO 3166-1 alpha-2 country code.
Call with (list "config.databaseLocation" .Values.config.databaseLocation).
*/}}
{{- define "mottagning.checkEEA" -}}
{{- $field := index . 0 }}
{{- $value := index . 1 | toString }}
{{- $eea := list "AT" "BE" "BG" "HR" "CY" "CZ" "DK" "EE" "FI" "FR" "DE" "GR" "HU" "IE" "IT" "LV" "LT" "LU" "MT" "NL" "PL" "PT" "RO" "SK" "SI" "ES" "SE" "IS" "LI" "NO" }}
{{- if not (trim $value) }}
{{- fail (printf "%s must be set (ISO country code of an EU/EEA country)" $field) }}
{{- end }}
{{- range $code := splitList "," $value }}
{{- if not (has (trim $code | upper) $eea) }}
{{- fail (printf "%s: %q is not an EU/EEA country code; personal data must stay in the EU/EEA" $field (trim $code)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every pod (token, security, scheduling); not the SA name. */}}
{{- define "mottagning.podSpecCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Soft spread over nodes and zones. Call with (dict "ctx" $ "component" "serve").
*/}}
{{- define "mottagning.topologySpread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "mottagning.componentSelectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "mottagning.componentSelectorLabels" . | nindent 8 }}
{{- end }}

{{/* Runtime environment: ConfigMap + secret keys. Used by serve, worker, scheduler, tenants. */}}
{{- define "mottagning.runtimeEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "mottagning.fullname" . }}-env
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "mottagning.secretName" . }}
        key: DATABASE_URL
  - name: REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "mottagning.secretName" . }}
        key: REDIS_URL
  - name: SECRET_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "mottagning.secretName" . }}
        key: SECRET_KEY
{{- range $key := list "TWILIO_ACCOUNT_SID" "TWILIO_AUTH_TOKEN" "SMTP_USERNAME" "SMTP_PASSWORD" }}
  - name: {{ $key }}
    valueFrom:
      secretKeyRef:
        name: {{ include "mottagning.secretName" $ }}
        key: {{ $key }}
        optional: true
{{- end }}
{{- end }}

{{/* Extra plain env (map name -> value). */}}
{{- define "mottagning.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Writable /tmp for a read-only root filesystem. */}}
{{- define "mottagning.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "mottagning.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{/*
Roll pods when configuration or chart-managed secrets change. The secret checksum is taken
over the values, not the rendered Secret, so a generated SECRET_KEY does not make it differ.
*/}}
{{- define "mottagning.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ toJson .Values.secrets | sha256sum }}
{{- end }}
{{- end }}
