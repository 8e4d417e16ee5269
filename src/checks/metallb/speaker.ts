import type * as k8s from '@kubernetes/client-node';
import { fail, pass, type Check, type Remedy } from '../../core/types.js';
import { METALLB_NS } from '../lib/akash.js';
import { RECOMMENDED_METALLB, findSpeakerWorkload, memberlistSecretName } from '../lib/metallb.js';

export const check: Check = {
  id: 'metallb.speaker',
  title: 'MetalLB speaker runs on every node and has its memberlist Secret',
  category: 'metallb',
  dependsOn: ['cluster.api', 'metallb.namespace'],
  doc: {
    what: 'Looks at the speaker DaemonSet, found by its labels (Helm app.kubernetes.io/name=metallb,app.kubernetes.io/component=speaker, object `<fullname>-speaker`: metallb/metallb:charts/metallb/templates/speaker.yaml:121-125 at v0.14.9; manifests/Kubespray app=metallb,component=speaker, DaemonSet `speaker`): every pod it wants must be ready (desired == ready). Also checks that the memberlist Secret exists (the one the speaker mounts or names in METALLB_ML_SECRET_NAME, else `<fullname>-memberlist` / `memberlist`: charts/metallb/templates/_helpers.tpl `metallb.secretName`); its contents are never read into the report. details.reason: speaker-ready, speaker-missing, speaker-no-pods, speaker-not-ready, memberlist-missing.',
    why: 'The speakers announce the lease IPs on the network (ARP in layer 2 mode, BGP otherwise). A node without a ready speaker cannot announce, and without the memberlist Secret the speakers cannot start or cannot agree which node answers for an IP, so lease IPs are unreachable or flap.',
    fix: 'See why pods are missing or not ready: `kubectl -n metallb-system describe ds metallb-speaker` (or `speaker`); a Pod Security block is reported by metallb.pod-security. Recreate a missing memberlist Secret: `kubectl -n metallb-system create secret generic metallb-memberlist --from-literal=secretkey="$(openssl rand -base64 128)"` (name `memberlist` for manifest installs), then restart the speakers: `kubectl -n metallb-system rollout restart ds metallb-speaker`.',
  },
  async run(ctx) {
    const sp = await findSpeakerWorkload(ctx.cluster);
    if (!sp) {
      return fail(`no MetalLB speaker DaemonSet in ${METALLB_NS} (looked for the labels app.kubernetes.io/name=metallb,app.kubernetes.io/component=speaker and app=metallb,component=speaker, and the metallb/speaker image): nothing announces the lease IPs`, {
        details: { reason: 'speaker-missing', namespace: METALLB_NS, looked: ['app.kubernetes.io/name=metallb,app.kubernetes.io/component=speaker', 'app=metallb,component=speaker', 'image quay.io/metallb/speaker'] },
        hint: `Reinstall MetalLB with its speaker enabled: helm -n ${METALLB_NS} upgrade --install metallb metallb/metallb --version ${RECOMMENDED_METALLB} --set speaker.enabled=true`,
      });
    }
    const ds = sp.daemonSet;
    const name = ds.metadata!.name!;
    const ref = `${METALLB_NS}/${name}`;
    const st = ds.status ?? ({} as k8s.V1DaemonSetStatus);
    const desired = st.desiredNumberScheduled ?? 0;
    const current = st.currentNumberScheduled ?? 0;
    const ready = st.numberReady ?? 0;
    const secret = memberlistSecretName(ds);
    // existence only: the Secret's data never leaves this function
    const altName = secret.name === 'memberlist' ? 'metallb-memberlist' : 'memberlist';
    const [primary, alternate] = await Promise.all([
      ctx.cluster.getSecret(METALLB_NS, secret.name),
      secret.from === 'convention' ? ctx.cluster.getSecret(METALLB_NS, altName) : Promise.resolve(null),
    ]);
    const secretFound = primary ? secret.name : alternate ? altName : null;
    const details: Record<string, unknown> = {
      daemonSet: ref,
      method: sp.method,
      release: sp.release,
      desired,
      current,
      ready,
      memberlistSecret: secretFound ?? secret.name,
      memberlistSecretPresent: secretFound !== null,
    };

    const problems: string[] = [];
    const reasons: string[] = [];
    const commands: string[] = [];
    let hint = '';
    if (desired === 0) {
      reasons.push('speaker-no-pods');
      problems.push(`speaker ${ref} wants 0 pods (node selector or taints exclude every node)`);
      hint = `Check its nodeSelector and tolerations: kubectl -n ${METALLB_NS} get ds ${name} -o yaml`;
    } else if (ready < desired) {
      reasons.push('speaker-not-ready');
      const created = current >= desired ? '' : current === 0 ? ', none created' : `, only ${current} created`;
      problems.push(`speaker ${ref} has ${ready}/${desired} pods ready${created}`);
      hint =
        current < desired
          ? `Pods are not being created; see the DaemonSet events (a Pod Security block shows there, see metallb.pod-security): kubectl -n ${METALLB_NS} describe ds ${name}`
          : `See why the speaker pods are not ready: kubectl -n ${METALLB_NS} describe ds ${name} && kubectl -n ${METALLB_NS} logs ds/${name}`;
    }
    let remedy: Remedy | undefined;
    if (!secretFound) {
      reasons.push('memberlist-missing');
      problems.push(`memberlist Secret ${METALLB_NS}/${secret.name} is missing`);
      commands.push(`kubectl -n ${METALLB_NS} create secret generic ${secret.name} --from-literal=secretkey="$(openssl rand -base64 128)"`, `kubectl -n ${METALLB_NS} rollout restart ds ${name}`);
      remedy = { summary: `recreate memberlist Secret ${METALLB_NS}/${secret.name} and restart the speakers`, commands };
      hint = `Recreate it and restart the speakers: ${commands.join(' && ')}${hint ? `; then ${hint.charAt(0).toLowerCase()}${hint.slice(1)}` : ''}`;
    }
    if (problems.length > 0) {
      details.reason = reasons[0];
      details.problems = reasons;
      return fail(problems.join('; '), { details, hint, ...(remedy ? { remedy } : {}) });
    }
    details.reason = 'speaker-ready';
    return pass(`speaker ${ref} has ${ready}/${desired} pods ready; memberlist Secret ${secretFound} present`, { details });
  },
};
