import type * as k8s from '@kubernetes/client-node';
import { error, fail, pass, skip, warn, type Check, type Finding, type Remedy } from '../../core/types.js';
import { ciliumReplacesKubeProxy, flagValue, goBoolTrue, kubeRouterRunsServiceProxy, parseKubeProxyConfig } from '../lib/kube-proxy-config.js';

const NS = 'kube-system';
const CM = 'kube-proxy';
const KEY = 'config.conf';
export const RESTART_KUBE_PROXY = `kubectl -n ${NS} rollout restart daemonset kube-proxy`;
const GET_CM = `kubectl get configmap ${CM} -n ${NS} -o yaml`;

/** The guide's pipeline, for `strictARP: false`. */
export const SED_FALSE_TO_TRUE = `${GET_CM} | sed -e "s/strictARP: false/strictARP: true/" | kubectl apply -f - -n ${NS}`;
/** For an `ipvs:` section without strictARP: insert it right under `ipvs:` with the section's indentation. */
export const SED_INSERT_UNDER_IPVS = `${GET_CM} | sed -e 's/^\\( *\\)ipvs:$/&\\n\\1  strictARP: true/' | kubectl apply -f - -n ${NS}`;

function strictArpRemedy(kind: 'false' | 'absent-under-ipvs' | 'absent'): Remedy {
  const edit =
    kind === 'false'
      ? [SED_FALSE_TO_TRUE]
      : kind === 'absent-under-ipvs'
        ? [SED_INSERT_UNDER_IPVS]
        : [`kubectl -n ${NS} edit configmap ${CM}`];
  return {
    summary:
      kind === 'absent'
        ? `set ipvs.strictARP: true in ${KEY} of ConfigMap ${NS}/${CM} (in the editor), then restart kube-proxy`
        : `set ipvs.strictARP: true in ${KEY} of ConfigMap ${NS}/${CM}, then restart kube-proxy`,
    commands: [...edit, RESTART_KUBE_PROXY],
    fixId: 'kube-proxy.enable-strict-arp',
    params: { namespace: NS, configMap: CM, key: KEY },
  };
}

function argv(c: k8s.V1Container | undefined): string[] {
  return [...(c?.command ?? []), ...(c?.args ?? [])];
}

interface Replacement {
  name: string;
  reason: string;
}

/** kube-proxy replacements present in the cluster (Cilium KPR, kube-router service proxy). */
async function findReplacement(ctx: Parameters<Check['run']>[0]): Promise<Replacement | null> {
  const [cilium, kubeRouter] = await Promise.all([ctx.cluster.getConfigMap(NS, 'cilium-config'), ctx.cluster.getDaemonSet(NS, 'kube-router')]);
  const kpr = cilium?.data?.['kube-proxy-replacement'];
  if (ciliumReplacesKubeProxy(kpr)) {
    return { name: 'cilium', reason: `Cilium replaces kube-proxy (kube-proxy-replacement: "${kpr}" in ${NS}/cilium-config)` };
  }
  if (kubeRouter) {
    const containers = kubeRouter.spec?.template?.spec?.containers ?? [];
    const c = containers.find((x) => x.name === 'kube-router') ?? containers[0];
    if (kubeRouterRunsServiceProxy(argv(c))) {
      return { name: 'kube-router', reason: `kube-router runs the service proxy (DaemonSet ${NS}/kube-router) and enables strict ARP itself` };
    }
  }
  return null;
}

/** Decide from a parsed mode / strictARP value. */
function verdict(mode: string, strictArp: unknown, hasIpvsSection: boolean, source: string, extra: Record<string, unknown>): Finding {
  const m = mode.toLowerCase();
  const details = { mode: mode || '(default)', strictARP: strictArp ?? null, source, ...extra };
  if (m === 'ipvs') {
    if (strictArp === true) return pass(`kube-proxy runs in IPVS mode with strictARP: true (${source})`, { details: { ...details, reason: 'ipvs-strict-arp' } });
    const restartNote = `kube-proxy does not reload its config: restart its pods after the change (${RESTART_KUBE_PROXY})`;
    if (strictArp === undefined || strictArp === null) {
      return fail(`kube-proxy runs in IPVS mode without strictARP (absent, defaults to false; ${source}): nodes answer ARP for MetalLB's IPs, so IP leases are reachable only intermittently`, {
        details: { ...details, reason: 'ipvs-strict-arp-absent' },
        hint: hasIpvsSection
          ? `Add strictARP: true under ipvs: in ${KEY} of ConfigMap ${NS}/${CM} (the guide's sed finds no "strictARP: false" to replace): ${SED_INSERT_UNDER_IPVS}; ${restartNote}`
          : `Set ipvs.strictARP: true in ${KEY} of ConfigMap ${NS}/${CM}, adding the ipvs: section if there is none (kubectl -n ${NS} edit configmap ${CM}); ${restartNote}`,
        remedy: strictArpRemedy(hasIpvsSection ? 'absent-under-ipvs' : 'absent'),
      });
    }
    if (strictArp === false) {
      return fail(`kube-proxy runs in IPVS mode with strictARP: false (${source}): nodes answer ARP for MetalLB's IPs, so IP leases are reachable only intermittently`, {
        details: { ...details, reason: 'ipvs-strict-arp-false' },
        hint: `Set strictARP: true in ${KEY} of ConfigMap ${NS}/${CM}: ${SED_FALSE_TO_TRUE}; ${restartNote}`,
        remedy: strictArpRemedy('false'),
      });
    }
    return fail(`kube-proxy runs in IPVS mode and ipvs.strictARP is ${JSON.stringify(strictArp)}, not the boolean true (${source})`, {
      details: { ...details, reason: 'ipvs-strict-arp-invalid' },
      hint: `Write strictARP: true (unquoted) under ipvs: in ${KEY} of ConfigMap ${NS}/${CM} (kubectl -n ${NS} edit configmap ${CM}); ${restartNote}`,
      remedy: strictArpRemedy('absent'),
    });
  }
  if (m === '' || m === 'iptables' || m === 'nftables') {
    const shown = m === '' ? 'the default mode (iptables)' : `${m} mode`;
    return pass(`kube-proxy runs in ${shown}: strictARP is only needed in IPVS mode (${source})`, { details: { ...details, reason: 'not-ipvs' } });
  }
  if (m === 'kernelspace' || m === 'userspace') {
    return pass(`kube-proxy runs in ${m} mode: strictARP is only needed in IPVS mode (${source})`, { details: { ...details, reason: 'not-ipvs' } });
  }
  return warn(`kube-proxy mode "${mode}" is not one this tool knows (${source}); strictARP matters only in IPVS mode`, {
    details: { ...details, reason: 'unknown-mode' },
    hint: `Check the mode in ${KEY} of ConfigMap ${NS}/${CM} (kubectl -n ${NS} get configmap ${CM} -o yaml); if it is IPVS, set ipvs.strictARP: true and run ${RESTART_KUBE_PROXY}`,
  });
}

export const check: Check = {
  id: 'kube-proxy.strict-arp',
  title: 'kube-proxy in IPVS mode has strictARP enabled',
  category: 'kube-proxy',
  dependsOn: ['cluster.api'],
  doc: {
    what: 'Reads config.conf (the KubeProxyConfiguration) of ConfigMap kube-system/kube-proxy. In IPVS mode ipvs.strictARP must be true; in iptables or nftables mode (or the default) nothing is needed. Clusters without kube-proxy (Cilium with kube-proxy-replacement, or kube-router running the service proxy) are skipped. Sources: MetalLB\'s installation guide requires strictARP in IPVS mode and gives the sed pipeline (metallb/metallb:website/content/installation/_index.md:30-55 at v0.14.9); Kubespray renders `ipvs.strictARP: {{ kube_proxy_strict_arp }}` into the KubeProxyConfiguration (kubernetes-sigs/kubespray:roles/kubernetes/control-plane/templates/kubeadm-config.v1beta4.yaml.j2). details.reason: ipvs-strict-arp, not-ipvs, ipvs-strict-arp-absent, ipvs-strict-arp-false, ipvs-strict-arp-invalid, unknown-mode, kube-proxy-replaced, configmap-missing, no-kube-proxy, config-key-missing, config-unparsable.',
    why: 'In IPVS mode every node answers ARP requests for every Service IP, including the IPs MetalLB announces for IP leases. Without strictARP those IPs are reachable only intermittently (whichever node answers ARP first wins).',
    fix: 'Set strictARP: true, as the guide does: `kubectl get configmap kube-proxy -n kube-system -o yaml | sed -e "s/strictARP: false/strictARP: true/" | kubectl apply -f - -n kube-system`. kube-proxy does not reload its ConfigMap, so restart it afterwards: `kubectl -n kube-system rollout restart daemonset kube-proxy`. Kubespray users also set `kube_proxy_strict_arp: true` in the inventory.',
  },
  async run(ctx) {
    const [cm, ds] = await Promise.all([ctx.cluster.getConfigMap(NS, CM), ctx.cluster.getDaemonSet(NS, 'kube-proxy')]);

    // No kube-proxy DaemonSet and a replacement: strictARP does not apply (a leftover ConfigMap is ignored).
    if (!ds) {
      const repl = await findReplacement(ctx);
      if (repl) {
        return skip(`not applicable: no kube-proxy runs here, ${repl.reason}`, {
          details: { reason: 'kube-proxy-replaced', replacement: repl.name, kubeProxyConfigMap: cm ? 'present (unused)' : 'absent' },
        });
      }
    }

    if (!cm) {
      if (ds) {
        // kube-proxy configured by flags only
        const containers = ds.spec?.template?.spec?.containers ?? [];
        const args = argv(containers.find((c) => c.name === 'kube-proxy') ?? containers[0]);
        const mode = flagValue(args, 'proxy-mode');
        if (mode !== undefined && !flagValue(args, 'config')) {
          const strict = flagValue(args, 'ipvs-strict-arp');
          const f = verdict(mode, strict === undefined ? undefined : goBoolTrue(strict), true, `flags of DaemonSet ${NS}/kube-proxy`, {});
          if (f.status === 'fail') {
            f.hint = `Add --ipvs-strict-arp=true to the kube-proxy container of DaemonSet ${NS}/kube-proxy (kubectl -n ${NS} edit daemonset kube-proxy); the pods restart with the new flags`;
            delete f.remedy;
          }
          return f;
        }
        return warn(`DaemonSet ${NS}/kube-proxy runs, but ConfigMap ${NS}/${CM} is missing, so its mode and strictARP setting could not be read`, {
          details: { reason: 'configmap-missing', daemonSet: `${NS}/kube-proxy`, configMap: null },
          hint: `Find where kube-proxy gets its configuration (kubectl -n ${NS} get daemonset kube-proxy -o yaml); if it runs in IPVS mode, set ipvs.strictARP: true there and run ${RESTART_KUBE_PROXY}`,
        });
      }
      return warn(`no kube-proxy found (no ConfigMap ${NS}/${CM}, no DaemonSet ${NS}/kube-proxy) and no known replacement (Cilium kube-proxy-replacement, kube-router service proxy): strictARP could not be verified`, {
        details: { reason: 'no-kube-proxy', configMap: null, daemonSet: null, replacement: null },
        hint: 'If your nodes run kube-proxy another way (for example embedded in k3s or as a static pod) in IPVS mode, enable strict ARP there (kube-proxy flag --ipvs-strict-arp=true, or ipvs.strictARP: true in its config file) and restart it; in iptables or nftables mode nothing is needed',
      });
    }

    const text = cm.data?.[KEY];
    if (text === undefined) {
      return error(`ConfigMap ${NS}/${CM} has no key ${KEY} (keys: ${Object.keys(cm.data ?? {}).join(', ') || 'none'}), so kube-proxy's mode could not be read`, {
        details: { reason: 'config-key-missing', configMap: `${NS}/${CM}`, keys: Object.keys(cm.data ?? {}) },
        hint: `Look at how kube-proxy is configured: kubectl -n ${NS} get configmap ${CM} -o yaml; kubectl -n ${NS} get daemonset kube-proxy -o yaml`,
      });
    }
    const parsed = parseKubeProxyConfig(text);
    if (!parsed.ok) {
      return error(`${KEY} in ConfigMap ${NS}/${CM} could not be parsed: ${parsed.problem}`, {
        details: { reason: 'config-unparsable', configMap: `${NS}/${CM}`, key: KEY, problem: parsed.problem },
        hint: `Repair the YAML of ${KEY} (kubectl -n ${NS} edit configmap ${CM}); kube-proxy pods will fail to start with it after their next restart`,
      });
    }
    const extra: Record<string, unknown> = { configMap: `${NS}/${CM}` };
    if (!ds) extra.daemonSet = null;
    return verdict(parsed.mode, parsed.strictArp, parsed.hasIpvsSection, `${NS}/${CM} ${KEY}`, extra);
  },
};
