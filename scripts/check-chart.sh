#!/usr/bin/env bash
# Lint, render and validate charts/mottagning, fully offline (only the Go module proxy,
# or a warm GOMODCACHE, is needed).
#
#   scripts/check-chart.sh            K8S_VERSION=1.36.3 scripts/check-chart.sh
#
# Tools run through `go run <module>@<pinned version>` outside the repository, so nothing
# is added to go.mod. The first run downloads and builds them into GOMODCACHE/GOCACHE;
# later runs reuse the cached executables (Go caches `go run` binaries).
#
# Validation offline: kubeconform has no built-in schemas; it fetches them from GitHub
# (raw.githubusercontent.com/yannh/kubernetes-json-schema) at run time, which this machine
# cannot reach, and -ignore-missing-schemas would merely skip every resource. The same
# upstream data ships in Kubernetes' own repository as api/openapi-spec/v3, and the Go
# module proxy serves that repository as the module k8s.io/kubernetes (source zip only,
# ~19 MB, never built). scripts/openapi2jsonschema.go (stdlib only) converts it into
# kubeconform's "standalone-strict" layout, and kubeconform -strict validates against it:
# types, enums, required fields, and unknown fields are errors. No -ignore-missing-schemas:
# every built-in kind has a schema, so an unknown kind fails.
set -euo pipefail

HELM_MODULE="helm.sh/helm/v3/cmd/helm@v3.22.0"
KUBECONFORM_MODULE="github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
# Kubernetes release to render for and validate against (any k8s.io/kubernetes version).
K8S_VERSION="${K8S_VERSION:-1.35.4}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$root/charts/mottagning"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Run the tools outside the repository so the project's go.mod is never consulted or changed.
tool() {
	(cd "$work" && env GOWORK=off GOFLAGS=-buildvcs=false go run "$@")
}
helm() {
	# Private Helm home: no repositories, plugins or cache from the user's environment.
	HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache" \
		HELM_DATA_HOME="$work/helm/data" tool "$HELM_MODULE" "$@"
}
kubeconform() {
	tool "$KUBECONFORM_MODULE" "$@"
}

step() { printf '\n==> %s\n' "$*"; }

# name -> extra helm args
declare -A cases=(
	[default]=""
	[ingress-existing-secret]="--values $chart/ci/ingress-existing-secret-values.yaml"
)

step "tools: $HELM_MODULE, $KUBECONFORM_MODULE (building them if not cached)"
helm version --short >/dev/null
kubeconform -v >/dev/null

step "JSON schemas for Kubernetes $K8S_VERSION from k8s.io/kubernetes@v$K8S_VERSION"
k8s_dir="$(cd "$work" && env GOWORK=off GOFLAGS= go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$k8s_dir/api/openapi-spec/v3" ] || { echo "cannot download k8s.io/kubernetes@v$K8S_VERSION" >&2; exit 1; }
tool "$root/scripts/openapi2jsonschema.go" "$k8s_dir/api/openapi-spec/v3" "$work/schemas"

for name in default ingress-existing-secret; do
	# shellcheck disable=SC2086 # word splitting of the args is intended
	set -- ${cases[$name]}

	step "helm lint --strict ($name)"
	helm lint --strict "$chart" "$@"

	step "helm template ($name) | kubeconform -strict"
	helm template mottagning "$chart" --namespace mottagning --kube-version "$K8S_VERSION" "$@" |
		tee "$work/$name.yaml" |
		kubeconform -strict -summary \
			-schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"
	kinds="$(grep -E '^kind: ' "$work/$name.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}')"
	echo "rendered: ${kinds%, }"
done

step "invariants"
fail() { echo "FAIL: $*" >&2; exit 1; }
d="$work/default.yaml"
grep -q 'helm.sh/hook: pre-install,pre-upgrade' "$d" || fail "migrate hook missing"
grep -q 'helm.sh/hook: post-install,post-upgrade' "$d" || fail "tenants-apply hook missing"
grep -q 'type: Recreate' "$d" || fail "scheduler must use strategy Recreate"
[ "$(grep -c 'automountServiceAccountToken: false' "$d")" -ge 6 ] || fail "service account token must not be mounted"
! grep -q 'kind: Secret' "$work/ingress-existing-secret.yaml" || fail "existingSecret must suppress the chart's Secrets"
grep -q 'kind: Ingress' "$work/ingress-existing-secret.yaml" || fail "ingress missing"
if helm template x "$chart" --kube-version "$K8S_VERSION" --set config.databaseLocation=US >/dev/null 2>"$work/eea.err"; then
	fail "a non-EU/EEA DATABASE_LOCATION must be refused"
fi
grep -q 'not an EU/EEA country code' "$work/eea.err" || fail "unexpected error: $(cat "$work/eea.err")"
echo "ok"

echo
echo "check-chart: OK"
