#!/usr/bin/env bash
# hack/e2e.sh - what `make e2e` runs: AppStack against whatever cluster KUBECONFIG names
# (kind, k3d, a real cluster, or the local test API server), with appstack-operator and
# appstack-webhook running on this machine.
#   1. refuse without KUBECONFIG or without a reachable API server; decide the address the
#      API server uses to call the webhook (APPSTACK_WEBHOOK_URL_HOST; 127.0.0.1 only for
#      the local test API server) and refuse without one
#   2. build the programs and the integration test programs; install the CRDs (crds/)
#   3. the integration suite: tests/run.py --tier integration with TEST_KUBECONFIG=$KUBECONFIG
#      (the same tests as `make test-integration`; fault-injection tests skip on a real cluster)
#   4. the end-to-end scenario, in a fresh namespace appstack-e2e-<id>:
#      - the operator runs as its service account appstack-system/appstack-operator
#        (real cluster: manifests/namespace.yaml + rbac.yaml and `kubectl create token`,
#        so RBAC is exercised; local server: a token added through /_local/users)
#      - the webhook runs with a certificate for APPSTACK_WEBHOOK_URL_HOST and is registered
#        by URL (manifests/webhook.yaml's configurations, renamed appstack-e2e-<id>-..., limited
#        to namespaces labelled appstack.io/e2e=<id>, so the rest of the cluster is untouched)
#      - the cluster reaches the webhook (a privileged pod is refused by it)
#      - every example in E2E_EXAMPLES is applied, reconciled (observedGeneration), not
#        Stalled except for a missing optional API, and no child was refused by admission
#      - Ready: on the local API server for every stack whose optional APIs exist (with
#        hack/fake-kubelet playing the missing controllers); on a real cluster for the stacks
#        named in E2E_READY (default: hello, from examples/minimal.yaml; real pods, real images)
#      - a spec change rolls through (replicas 1 -> 2); a hand edit of a child by another user
#        is refused by the webhook; no write request from the operator while idle
#      - deleting the stacks removes their workloads and Services
#      - SIGTERM: both programs exit 0 within 10 s
#   5. cleanup (also on failure or Ctrl-C): webhook configurations first, then both programs,
#      then the namespace. Left in place: the CRDs, and on a real cluster namespace
#      appstack-system with the operator's ServiceAccount and RBAC.
# Environment: E2E_EXAMPLES (default: every examples/*.yaml), E2E_READY (stack names),
# E2E_TIMEOUT (seconds per wait, default 120), E2E_SKIP_INTEGRATION=1, E2E_WEBHOOK_TESTS=1
# (run tests/integration/test_webhook.py on a real cluster too), APPSTACK_E2E_WEBHOOK_PORT
# (default: a free port), E2E_KEEP=1 (keep the namespace and logs for a look afterwards).
# Exit 0 when the suite and every scenario check passed.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "e2e: $*" >&2; exit 2; }

if [[ -z ${KUBECONFIG:-} ]]; then
    die "KUBECONFIG is not set. make e2e runs against the cluster it names and never guesses one.
  kind:       kind create cluster && export KUBECONFIG=\$HOME/.kube/config
              APPSTACK_WEBHOOK_URL_HOST=172.17.0.1 make e2e     (the docker bridge gateway)
  k3d:        k3d cluster create && APPSTACK_WEBHOOK_URL_HOST=host.k3d.internal make e2e
  local test API server (no cluster at all): make test-integration, or
              eval \"export \$(hack/local-apiserver start | tail -n 1)\" && make e2e
See README.md, \"End-to-end against a cluster\"."
fi
for f in ${KUBECONFIG//:/ }; do
    [[ -r $f ]] || die "KUBECONFIG names $f, which cannot be read"
done
command -v kubectl >/dev/null || die "kubectl is not installed (make deps installs it)"
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null) ||
    die "KUBECONFIG=$KUBECONFIG has no current context (kubectl config use-context NAME)"
kubectl version -o json >/dev/null 2>&1 ||
    die "the API server $server (KUBECONFIG=$KUBECONFIG) does not answer: $(kubectl version 2>&1 | tail -n 1)"

local=0
kubectl get --raw /_local/faults >/dev/null 2>&1 && local=1
host=${APPSTACK_WEBHOOK_URL_HOST:-}
if [[ -z $host ]]; then
    ((local)) || die "set APPSTACK_WEBHOOK_URL_HOST to an address of this machine that the API server
  $server can reach (the webhook is called by the API server, not by kubectl):
  kind (Linux): the docker bridge gateway, usually 172.17.0.1
                (docker network inspect kind -f '{{(index .IPAM.Config 0).Gateway}}' for kind's own network)
  k3d:          host.k3d.internal
  a remote cluster: this machine's address on a network the API server can route to"
    host=127.0.0.1
fi
export APPSTACK_WEBHOOK_URL_HOST=$host

timeout=${E2E_TIMEOUT:-120}
id=$(openssl rand -hex 3)
ns=appstack-e2e-$id
cfg_prefix=appstack-e2e-$id-
op_user=system:serviceaccount:appstack-system:appstack-operator
work=$(mktemp -d /tmp/appstack-e2e.XXXXXX)
op_pid="" wh_pid="" kubelet_pid="" ns_made=0 cfg_made=0
passed=0 failed=0 integration_rc=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }
stop_pid() { # pid: SIGTERM, wait up to 10 s, then SIGKILL; sets stop_rc and stop_ms
    local pid=$1 t0
    t0=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    stop_rc=0
    wait "$pid" 2>/dev/null || stop_rc=$?
    stop_ms=$((($(date +%s%N) - t0) / 1000000))
}
cleanup() {
    local rc=$?
    set +e
    # the webhook configurations first: a Fail webhook whose server is gone blocks writes
    if ((cfg_made)); then
        kubectl delete mutatingwebhookconfiguration "${cfg_prefix}appstack-mutating" --ignore-not-found >/dev/null
        kubectl delete validatingwebhookconfiguration "${cfg_prefix}appstack-validating" --ignore-not-found >/dev/null
    fi
    [[ -z $kubelet_pid ]] || stop_pid "$kubelet_pid"
    [[ -z $op_pid ]] || stop_pid "$op_pid"
    [[ -z $wh_pid ]] || stop_pid "$wh_pid"
    if ((rc != 0 || failed)); then
        for f in operator webhook fake-kubelet; do
            [[ -s $work/$f.log ]] || continue
            echo "---- last lines of $f.log" >&2
            tail -n 30 "$work/$f.log" >&2
        done
    fi
    if [[ ${E2E_KEEP:-0} == 1 ]]; then
        echo "e2e: kept namespace $ns and $work (E2E_KEEP=1)"
    else
        ((ns_made)) && kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT

wait_http() { # url seconds pid: until it answers 200 (TLS not verified) or pid exits
    python3 - "$@" <<'PY'
import os, ssl, sys, time, urllib.request
url, deadline, pid = sys.argv[1], time.time() + float(sys.argv[2]), int(sys.argv[3])
ctx = ssl._create_unverified_context()
while time.time() < deadline:
    try:
        os.kill(pid, 0)
        if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            raise ProcessLookupError
    except (ProcessLookupError, FileNotFoundError):
        sys.exit(f"e2e: the program behind {url} exited")
    try:
        with urllib.request.urlopen(url, timeout=1, context=ctx) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(f"e2e: {url} did not answer 200 within {sys.argv[2]}s")
PY
}
metric_writes() { # sum of the operator's write requests in its /metrics
    python3 - "http://127.0.0.1:$metrics_port/metrics" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
n = 0
for m in re.finditer(r'^appstack_operator_api_requests_total\{([^}]*)\} (\S+)$', text, re.M):
    if re.search(r'verb="(POST|PUT|PATCH|DELETE)"', m.group(1)):
        n += float(m.group(2))
print(int(n))
PY
}
cond() { # stack type field
    kubectl get -n "$ns" "appstack/$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].$3}"
}

echo "e2e: cluster $server ($([[ $local == 1 ]] && echo "the local test API server" || echo "a real cluster")); webhook URL host $host"

step "Building"
make --no-print-directory test-bins >/dev/null || die "the build failed (make test-bins)"

step "Installing the CRDs"
kubectl apply --server-side -k crds/
kubectl wait --for=condition=Established crd/appstacks.appstack.io crd/appstackpolicies.appstack.io \
    crd/appstackpolicyexceptions.appstack.io --timeout="${timeout}s"

if [[ ${E2E_SKIP_INTEGRATION:-0} != 1 ]]; then
    step "Integration suite against $server (tests/run.py --tier integration)"
    suite_env=(TEST_KUBECONFIG="$KUBECONFIG")
    # against the local test API server the tests must know it (fault injection, and the
    # fake kubelet instead of real controllers); APPSTACK_APISERVER_DIR, when set, lets
    # them restart it
    ((local)) && suite_env+=(APPSTACK_LOCAL_APISERVER=1)
    if ((!local)) && [[ ${E2E_WEBHOOK_TESTS:-0} != 1 ]]; then
        # tests/integration/test_webhook.py serves on 127.0.0.1 with a certificate for
        # 127.0.0.1 only, which a real cluster cannot call: without the URL host it skips
        echo "(tests/integration/test_webhook.py skips: its webhook listens on 127.0.0.1 only;"
        echo " E2E_WEBHOOK_TESTS=1 runs it anyway. The scenario below covers the webhook by URL.)"
        suite_env+=(APPSTACK_WEBHOOK_URL_HOST=)
    fi
    env "${suite_env[@]}" python3 tests/run.py --tier integration || integration_rc=$?
    if ((integration_rc == 0)); then ok "integration suite"; else bad "integration suite (exit $integration_rc)"; fi
fi

step "The operator's identity ($op_user)"
op_kc=$work/operator.kubeconfig
if ((local)); then
    token=$(openssl rand -hex 24)
    printf '{"token":"%s","name":"%s","groups":["system:serviceaccounts","system:serviceaccounts:appstack-system","system:authenticated"]}' \
        "$token" "$op_user" >"$work/user.json"
    kubectl create --raw /_local/users -f "$work/user.json" >/dev/null
    rm -f "$work/user.json"
    kubectl apply --server-side -f manifests/namespace.yaml -f manifests/rbac.yaml >/dev/null
    echo "local API server: token added through /_local/users"
else
    kubectl apply --server-side -f manifests/namespace.yaml -f manifests/rbac.yaml
    token=$(kubectl create token appstack-operator -n appstack-system --duration=2h) ||
        die "kubectl create token appstack-operator -n appstack-system failed (needs Kubernetes 1.24+)"
fi
# same server and CA as KUBECONFIG's current context, the service account's token
kubectl config view --raw --minify --flatten -o json | python3 -c '
import json, os, sys
cfg = json.load(sys.stdin)
cluster = cfg["clusters"][0]
out = {"apiVersion": "v1", "kind": "Config", "clusters": [cluster],
       "users": [{"name": "appstack-operator", "user": {"token": sys.argv[2]}}],
       "contexts": [{"name": "e2e", "context": {"cluster": cluster["name"], "user": "appstack-operator"}}],
       "current-context": "e2e"}
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(out, f)' "$op_kc" "$token"
unset token

step "Starting appstack-webhook on this machine, registered by URL https://$host:PORT"
wh_port=${APPSTACK_E2E_WEBHOOK_PORT:-$(free_port)}
if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san="IP:$host"; else san="DNS:$host"; fi
[[ $host == 127.0.0.1 ]] || san="$san,IP:127.0.0.1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$work/tls.key" -out "$work/tls.crt" -subj "/CN=$host" -addext "subjectAltName=$san" >/dev/null 2>&1
listen=127.0.0.1
[[ $host == 127.0.0.1 ]] || listen=0.0.0.0
bin/appstack-webhook --listen "$listen:$wh_port" --tls-cert-file "$work/tls.crt" \
    --tls-key-file "$work/tls.key" --policy-name "appstack-e2e-$id" \
    --operator-service-account "$op_user" --audit-log "$work/audit.log" >"$work/webhook.log" 2>&1 &
wh_pid=$!
wait_http "https://127.0.0.1:$wh_port/readyz" 30 "$wh_pid"
kubectl create namespace "$ns" >/dev/null
ns_made=1
kubectl label namespace "$ns" "appstack.io/e2e=$id" >/dev/null
cfg_made=1
hack/webhook-url-configs --url "https://$host:$wh_port" --ca-file "$work/tls.crt" \
    --name-prefix "$cfg_prefix" --namespace-label "appstack.io/e2e=$id" | kubectl apply -f -
echo "webhook on $listen:$wh_port (pid $wh_pid), namespace $ns (label appstack.io/e2e=$id)"

# The cluster must reach the webhook: a privileged pod is refused by it, not by anything else.
priv='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"e2e-priv","namespace":"'$ns'"},"spec":{"containers":[{"name":"c","image":"registry.example.com/app:1.0.0","securityContext":{"privileged":true}}]}}'
reach=""
for _ in $(seq 20); do # a new configuration takes a moment to reach a real API server
    reach=$(kubectl create --dry-run=server -f - <<<"$priv" 2>&1) || true
    grep -q 'pss-baseline-privileged' <<<"$reach" && break
    sleep 1
done
if grep -q 'pss-baseline-privileged' <<<"$reach"; then
    ok "the API server calls the webhook at https://$host:$wh_port (privileged pod refused)"
else
    bad "the API server did not get an answer from the webhook at https://$host:$wh_port: $reach"
    die "check APPSTACK_WEBHOOK_URL_HOST ($host) and that port $wh_port of this machine is reachable from the cluster"
fi

step "Starting appstack-operator (namespace $ns only, as $op_user)"
metrics_port=$(free_port)
probe_port=$(free_port)
bin/appstack-operator --kubeconfig "$op_kc" --namespace "$ns" \
    --metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$probe_port" \
    --log-level info >"$work/operator.log" 2>&1 &
op_pid=$!
wait_http "http://127.0.0.1:$probe_port/readyz" "$timeout" "$op_pid"
ok "operator ready (/readyz 200)"

step "Applying the examples in $ns"
read -r -a examples <<<"${E2E_EXAMPLES:-$(echo examples/*.yaml)}"
stacks=()
for ex in "${examples[@]}"; do
    read -r name _ < <(hack/example-stack --facts "$ex" | head -n 1)
    hack/example-stack --placeholders "$ex" --namespace "$ns" >"$work/placeholders.json"
    [[ ! -s $work/placeholders.json ]] || kubectl apply -f "$work/placeholders.json" >/dev/null
    hack/example-stack "$ex" --namespace "$ns" | kubectl apply --server-side -f -
    stacks+=("$name")
done

if ((local)); then
    echo "hack/fake-kubelet: STANDING IN for the Deployment/StatefulSet/Job controllers the local API server lacks"
    hack/fake-kubelet --namespace "$ns" >"$work/fake-kubelet.log" 2>&1 &
    kubelet_pid=$!
fi

step "Reconciled, not stalled, nothing refused by admission"
for s in "${stacks[@]}"; do
    gen=$(kubectl get -n "$ns" "appstack/$s" -o jsonpath='{.metadata.generation}')
    if ! kubectl wait -n "$ns" "appstack/$s" --for=jsonpath='{.status.observedGeneration}'="$gen" \
        --timeout="${timeout}s" >/dev/null; then
        bad "$s: status.observedGeneration did not reach $gen"
        continue
    fi
    st=$(cond "$s" Stalled status) reason=$(cond "$s" Stalled reason)
    if [[ $st == True && $reason != APIMissing ]]; then
        bad "$s: Stalled ($reason): $(cond "$s" Stalled message)"
    else
        ok "$s: reconciled generation $gen${st:+, Stalled=$st${reason:+ ($reason)}}"
    fi
done

step "Ready"
for s in "${stacks[@]}"; do
    if ((local)); then
        # Reconciling turns False once the workloads report rolled out; Ready comes with it
        kubectl wait -n "$ns" "appstack/$s" --for=condition=Reconciling=False --timeout="${timeout}s" >/dev/null || true
        if [[ $(cond "$s" Ready status) == True ]]; then
            ok "$s: Ready"
        elif [[ $(cond "$s" OptionalAPIsAvailable status) == False || $(cond "$s" Stalled reason) == APIMissing ]]; then
            ok "$s: not Ready for a missing optional API only: $(cond "$s" Ready message)"
        else
            bad "$s: not Ready: $(cond "$s" Ready reason): $(cond "$s" Ready message)"
        fi
    elif [[ " ${E2E_READY:-hello} " == *" $s "* ]]; then
        if kubectl wait -n "$ns" "appstack/$s" --for=condition=Ready --timeout="${timeout}s" >/dev/null; then
            ok "$s: Ready (real pods)"
        else
            bad "$s: not Ready within ${timeout}s: $(cond "$s" Ready reason): $(cond "$s" Ready message)"
        fi
    else
        echo "skip $s: Ready not awaited on a real cluster (not in E2E_READY; its images are examples)"
    fi
done

first=${stacks[0]}
[[ " ${stacks[*]} " == *" hello "* ]] && first=hello
dep=$(kubectl get deployments -n "$ns" -l "appstack.io/stack=$first" -o jsonpath='{.items[0].metadata.name}')
comp=$(kubectl get -n "$ns" "deployment/$dep" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/component}')
idx=$(kubectl get -n "$ns" "appstack/$first" -o json | python3 -c '
import json, sys
comps = json.load(sys.stdin)["spec"]["components"]
print([c["name"] for c in comps].index(sys.argv[1]))' "$comp")
before=$(kubectl get -n "$ns" "deployment/$dep" -o jsonpath='{.spec.replicas}')
want=$((${before:-1} + 1))
gen0=$(kubectl get -n "$ns" "appstack/$first" -o jsonpath='{.metadata.generation}')

step "A spec change rolls through ($first: component $comp, replicas $before -> $want)"
kubectl patch -n "$ns" "appstack/$first" --type json \
    -p '[{"op":"add","path":"/spec/components/'"$idx"'/replicas","value":'"$want"'}]' >/dev/null
gen=$(kubectl get -n "$ns" "appstack/$first" -o jsonpath='{.metadata.generation}')
if ((gen <= gen0)); then
    bad "$first: the patch did not change metadata.generation ($gen0)"
elif kubectl wait -n "$ns" "appstack/$first" --for=jsonpath='{.status.observedGeneration}'="$gen" --timeout="${timeout}s" >/dev/null &&
    kubectl wait -n "$ns" "deployment/$dep" --for=jsonpath='{.spec.replicas}'="$want" --timeout="${timeout}s" >/dev/null; then
    ok "$first: generation $gen reconciled, deployment/$dep has $want replicas"
else
    bad "$first: generation $gen not rolled through to deployment/$dep (replicas $(kubectl get -n "$ns" "deployment/$dep" -o jsonpath='{.spec.replicas}'))"
fi

step "The webhook refuses a hand edit of a child by another user"
ctr=$(kubectl get -n "$ns" "deployment/$dep" -o jsonpath='{.spec.template.spec.containers[0].name}')
patch='{"spec":{"template":{"spec":{"containers":[{"name":"'$ctr'","image":"registry.example.com/hand-edit:1.0"}]}}}}'
if out=$(kubectl patch -n "$ns" "deployment/$dep" --as e2e-alice --as-group system:masters --type strategic -p "$patch" 2>&1); then
    bad "a hand edit of deployment/$dep by e2e-alice was admitted"
elif grep -q 'grd-owned-by-appstack spec.template.spec.containers\[0\].image' <<<"$out"; then
    ok "hand edit refused: grd-owned-by-appstack spec.template.spec.containers[0].image"
elif grep -qi 'cannot impersonate' <<<"$out"; then
    echo "skip hand edit: this kubeconfig may not impersonate (kubectl --as): $out"
else
    bad "hand edit refused, but not by the webhook's guard: $out"
fi

step "Idle: no write request from the operator"
if ((local)); then
    kubectl wait -n "$ns" "appstack/$first" --for=condition=Reconciling=False --timeout="${timeout}s" >/dev/null || true
fi
sleep 2
w0=$(metric_writes)
sleep "${E2E_IDLE_SECONDS:-5}"
w1=$(metric_writes)
if ((w1 == w0)); then
    ok "0 writes in ${E2E_IDLE_SECONDS:-5}s of idle ($w0 writes before, appstack_operator_api_requests_total)"
else
    bad "$((w1 - w0)) write requests in ${E2E_IDLE_SECONDS:-5}s of idle"
fi

step "Deleting the stacks removes their workloads and Services"
kubectl delete appstacks --all -n "$ns" --timeout="${timeout}s" >/dev/null
left=""
for _ in $(seq "$timeout"); do
    left=$(kubectl get deployments,statefulsets,services,cronjobs -n "$ns" -l appstack.io/stack -o name)
    [[ -z $left ]] && break
    sleep 1
done
if [[ -z $left ]]; then ok "every workload and Service gone"; else bad "left after deletion: $left"; fi

step "SIGTERM"
[[ -z $kubelet_pid ]] || { stop_pid "$kubelet_pid"; kubelet_pid=""; }
stop_pid "$op_pid"
op_pid=""
if ((stop_rc == 0 && stop_ms < 10000)); then ok "operator exited 0 after ${stop_ms} ms"; else bad "operator: exit $stop_rc after ${stop_ms} ms"; fi
kubectl delete mutatingwebhookconfiguration "${cfg_prefix}appstack-mutating" >/dev/null
kubectl delete validatingwebhookconfiguration "${cfg_prefix}appstack-validating" >/dev/null
cfg_made=0
stop_pid "$wh_pid"
wh_pid=""
if ((stop_rc == 0 && stop_ms < 10000)); then ok "webhook exited 0 after ${stop_ms} ms"; else bad "webhook: exit $stop_rc after ${stop_ms} ms"; fi

echo
echo "e2e: $passed passed, $failed failed"
((failed == 0))
