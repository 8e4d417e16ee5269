/**
 * The one flag/env reader: pflag command-line semantics, env prefixes AP_/AKASH_,
 * the kubelet's env resolution (envFrom, env, configMapKeyRef, Secrets never read).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { envNamesFor, pflagValue, readSetting } from '../src/checks/lib/flags.js';
import type { Snapshot } from '../src/cluster/snapshot.js';

/** A snapshot that only serves ConfigMaps (all readSetting needs); a Secret read would throw. */
function snapWith(cms: Record<string, Record<string, string>>): Snapshot {
  return {
    getConfigMap: async (_ns: string, name: string) => (cms[name] ? ({ metadata: { name }, data: cms[name] } as k8s.V1ConfigMap) : null),
    getSecret: async () => {
      throw new Error('Secrets must never be read');
    },
  } as unknown as Snapshot;
}

describe('pflagValue', () => {
  test('value flags: --f=v and --f v; the last occurrence wins; -- ends the flags', () => {
    assert.equal(pflagValue(['provider-services', 'operator', 'ip', '--provider', 'akash1a'], 'provider')?.value, 'akash1a');
    assert.equal(pflagValue(['--provider=akash1b'], 'provider')?.value, 'akash1b');
    assert.equal(pflagValue(['--provider=akash1a', '--provider', 'akash1b'], 'provider')?.value, 'akash1b');
    assert.equal(pflagValue(['--', '--provider=akash1a'], 'provider'), undefined);
    assert.equal(pflagValue(['--provider-address', 'akash1c'], 'provider'), undefined, 'another flag');
    assert.equal(pflagValue(['-provider', 'akash1c'], 'provider'), undefined, 'single dash is a shorthand, not this flag');
  });

  test('bool flags take a value only as --f=v; "--f false" is true plus a stray argument', () => {
    assert.deepEqual(pflagValue(['run', '--ip-operator=false'], 'ip-operator', { bool: true }), { value: 'false', written: '--ip-operator=false' });
    const sep = pflagValue(['run', '--ip-operator', 'false'], 'ip-operator', { bool: true });
    assert.equal(sep?.value, 'true');
    assert.equal(sep?.strayValue, 'false');
    assert.equal(pflagValue(['run', '--ip-operator'], 'ip-operator', { bool: true })?.value, 'true');
    assert.equal(pflagValue(['--ip-operator=false', '--ip-operator=true'], 'ip-operator', { bool: true })?.value, 'true', 'last wins');
  });

  test('env names follow the AP and AKASH prefixes', () => {
    assert.deepEqual(envNamesFor('ip-operator'), ['AP_IP_OPERATOR', 'AKASH_IP_OPERATOR']);
    assert.deepEqual(envNamesFor('metal-lb-pool'), ['AP_METAL_LB_POOL', 'AKASH_METAL_LB_POOL']);
    assert.deepEqual(envNamesFor('provider'), ['AP_PROVIDER', 'AKASH_PROVIDER']);
  });
});

describe('readSetting', () => {
  const chartOperator: k8s.V1Container = {
    name: 'operator-ip',
    args: ['provider-services', 'operator', 'ip'],
    env: [
      { name: 'AP_K8S_MANIFEST_NS', valueFrom: { configMapKeyRef: { name: 'operator-ip', key: 'k8s-manifest-ns' } } },
      { name: 'AP_PROVIDER', valueFrom: { configMapKeyRef: { name: 'operator-ip', key: 'provider-address' } } },
    ],
  };

  test('the chart shape: env AP_PROVIDER from ConfigMap operator-ip key provider-address', async () => {
    const s = await readSetting(snapWith({ 'operator-ip': { 'provider-address': 'akash1x', 'k8s-manifest-ns': 'lease' } }), 'akash-services', chartOperator, { flag: 'provider' });
    assert.equal(s.via, 'env');
    assert.equal(s.value, 'akash1x');
    assert.equal(s.envName, 'AP_PROVIDER');
    assert.equal(s.source, 'env AP_PROVIDER (configmap operator-ip key provider-address)');
  });

  test('the flag wins over the env; the env is reported as shadowed', async () => {
    const c = { ...chartOperator, args: [...chartOperator.args!, '--provider=akash1flag'] };
    const s = await readSetting(snapWith({ 'operator-ip': { 'provider-address': 'akash1env' } }), 'akash-services', c, { flag: 'provider' });
    assert.equal(s.via, 'flag');
    assert.equal(s.value, 'akash1flag');
    assert.equal(s.shadowed[0]?.name, 'AP_PROVIDER');
    assert.equal(s.shadowed[0]?.value, 'akash1env');
  });

  test('invented names are no setting: only lookalikes', async () => {
    const c: k8s.V1Container = { name: 'akash-ip-operator', args: ['provider-services', 'ip-operator', '--provider-address', 'akash1a'], env: [{ name: 'AKASH_PROVIDER_ADDRESS', value: 'akash1b' }] };
    const s = await readSetting(snapWith({}), 'akash-services', c, { flag: 'provider', lookalikes: ['AKASH_PROVIDER_ADDRESS', 'PROVIDER_ADDRESS', 'AP_PROVIDER_ADDRESS', '--provider-address'] });
    assert.equal(s.via, null);
    assert.equal(s.value, undefined);
    assert.deepEqual(s.lookalikes.map((l) => l.name).sort(), ['--provider-address', 'AKASH_PROVIDER_ADDRESS']);
  });

  test('envFrom ConfigMap with a prefix; env wins over envFrom', async () => {
    const c: k8s.V1Container = { name: 'provider', envFrom: [{ configMapRef: { name: 'main' } }, { prefix: 'AP_', configMapRef: { name: 'extra' } }], env: [{ name: 'AKASH_IP_OPERATOR', value: 'false' }] };
    const s = await readSetting(snapWith({ main: { AKASH_IP_OPERATOR: 'true' }, extra: { IP_OPERATOR: 'true' } }), 'ns', c, { flag: 'ip-operator', bool: true });
    assert.equal(s.via, 'env');
    assert.equal(s.envName, 'AP_IP_OPERATOR', 'AP_ is reported first');
    assert.equal(s.value, 'true');
    assert.equal(s.shadowed[0]?.name, 'AKASH_IP_OPERATOR');
    assert.equal(s.shadowed[0]?.value, 'false', 'container env beat the envFrom ConfigMap');
  });

  test('a secretKeyRef is never read: the value is unknown', async () => {
    const c: k8s.V1Container = { name: 'x', env: [{ name: 'AKASH_PROVIDER', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] };
    const s = await readSetting(snapWith({}), 'ns', c, { flag: 'provider' });
    assert.equal(s.via, 'env');
    assert.equal(s.unreadable, true);
    assert.equal(s.value, undefined);
  });

  test('envFrom secretRef might hold it: reported as a secret source, not read', async () => {
    const c: k8s.V1Container = { name: 'x', envFrom: [{ secretRef: { name: 'provider-keys' } }] };
    const s = await readSetting(snapWith({}), 'ns', c, { flag: 'ip-operator', bool: true });
    assert.equal(s.via, null);
    assert.deepEqual(s.secretSources, ['secret provider-keys']);
  });
});
