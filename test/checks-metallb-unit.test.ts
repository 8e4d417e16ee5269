/**
 * Pure logic of the MetalLB checks: the Prometheus text parser, pool math, the
 * legacy ConfigMap converter, version parsing, advertisement selection.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { findSamples, labelValues, parsePrometheusText, parseValue, sampleValue } from '../src/checks/lib/prometheus.js';
import { findOverlaps, formatIp, parseEntry, parseIp, parsePool, poolContains, poolSize, rangeSize, countForJson } from '../src/checks/lib/pools.js';
import { convertLegacyConfig, isLegacyConfig, normalizePoolName } from '../src/checks/lib/legacy-config.js';
import { FUTURE_LEASE, allocationMiss, fullnameForRelease, metallbRole, advertisementSelects, compareVersion, describeSelection, labelSelectorMatches, listNames, memberlistSecretName, parseVersionTag, poolUsageFromMetrics, poolsInMetrics, bodyMessage } from '../src/checks/lib/metallb.js';
import { psaEventSummary } from '../src/checks/metallb/pod-security.js';
import { pendingCause } from '../src/checks/metallb/pending-services.js';
import { podProblem } from '../src/checks/metallb/installed.js';

// ---- Prometheus text format ------------------------------------------------------

describe('parsePrometheusText', () => {
  const METALLB = [
    '# HELP metallb_allocator_addresses_in_use_total Number of IP addresses in use, per pool',
    '# TYPE metallb_allocator_addresses_in_use_total gauge',
    'metallb_allocator_addresses_in_use_total{pool="default"} 1',
    'metallb_allocator_addresses_in_use_total{pool="public"} 0',
    '# TYPE metallb_allocator_addresses_total gauge',
    'metallb_allocator_addresses_total{pool="default"} 16',
    'metallb_allocator_addresses_total{pool="public"} 8',
    '',
  ].join('\n');

  test('MetalLB allocator metrics: values per pool, TYPE and HELP', () => {
    const m = parsePrometheusText(METALLB);
    assert.equal(m.errors.length, 0);
    assert.equal(m.samples.length, 4);
    assert.equal(sampleValue(m, 'metallb_allocator_addresses_total', { pool: 'default' }), 16);
    assert.equal(sampleValue(m, 'metallb_allocator_addresses_in_use_total', { pool: 'default' }), 1);
    assert.equal(sampleValue(m, 'metallb_allocator_addresses_total', { pool: 'missing' }), undefined);
    assert.equal(m.types.get('metallb_allocator_addresses_total'), 'gauge');
    assert.equal(m.help.get('metallb_allocator_addresses_in_use_total'), 'Number of IP addresses in use, per pool');
    assert.deepEqual(labelValues(m, 'metallb_allocator_addresses_total', 'pool'), ['default', 'public']);
    assert.deepEqual(poolsInMetrics(m), ['default', 'public']);
    assert.deepEqual(poolUsageFromMetrics(m, 'public'), { total: 8, inUse: 0 });
  });

  test('escaped quotes, backslashes and newlines in label values; commas and braces inside values', () => {
    const m = parsePrometheusText('x{a="say \\"hi\\"",b="c:\\\\dir",c="two\\nlines",d="{x=1,y=2}"} 3\n');
    assert.equal(m.errors.length, 0, JSON.stringify(m.errors));
    assert.deepEqual(m.samples[0]!.labels, { a: 'say "hi"', b: 'c:\\dir', c: 'two\nlines', d: '{x=1,y=2}' });
    assert.equal(m.samples[0]!.value, 3);
  });

  test('special values, exponents, timestamps, spaces, trailing comma, empty label set, CRLF', () => {
    const text = [
      'a NaN',
      'b +Inf',
      'c -Inf',
      'd 1.5e3 1700000000000',
      'e{ pool = "p" , } 2',
      'f{} 7',
      'g -0.25\r',
      'h   42   ',
    ].join('\r\n');
    const m = parsePrometheusText(text);
    assert.equal(m.errors.length, 0, JSON.stringify(m.errors));
    const v = (n: string) => findSamples(m, n)[0]!;
    assert.ok(Number.isNaN(v('a').value));
    assert.equal(v('b').value, Infinity);
    assert.equal(v('c').value, -Infinity);
    assert.equal(v('d').value, 1500);
    assert.equal(v('d').timestamp, 1700000000000);
    assert.deepEqual(v('e').labels, { pool: 'p' });
    assert.equal(v('f').value, 7);
    assert.equal(v('g').value, -0.25);
    assert.equal(v('h').value, 42);
  });

  test('malformed lines are recorded and skipped, the rest still parses', () => {
    const m = parsePrometheusText(['good 1', 'bad{pool="x"', 'worse{pool=x} 1', 'novalue', 'nan_text abc', '9starts_with_digit 1', 'also_good{p="q"} 2', 'too many fields 1 2 3'].join('\n'));
    assert.deepEqual(
      m.samples.map((s) => s.name),
      ['good', 'also_good'],
    );
    assert.deepEqual(
      m.errors.map((e) => e.line),
      [2, 3, 4, 5, 6, 8],
    );
    for (const e of m.errors) assert.ok(e.reason.length > 0);
  });

  test('comments that are not HELP/TYPE are ignored; # EOF ends the input', () => {
    const m = parsePrometheusText('# just a comment\n#TYPE x counter\nx 1\n# EOF\ny 2\n');
    assert.deepEqual(m.samples.map((s) => s.name), ['x']);
    assert.equal(m.types.get('x'), 'counter');
  });

  test('empty and non-Prometheus input give no samples without throwing', () => {
    assert.equal(parsePrometheusText('').samples.length, 0);
    const html = parsePrometheusText('<html><body>404 page not found</body></html>');
    assert.equal(html.samples.length, 0);
    assert.equal(html.errors.length, 1);
  });

  test('parseValue', () => {
    assert.equal(parseValue('16'), 16);
    assert.equal(parseValue('+Inf'), Infinity);
    assert.equal(parseValue('inf'), Infinity);
    assert.ok(Number.isNaN(parseValue('NaN')!));
    assert.equal(parseValue('1e-3'), 0.001);
    assert.equal(parseValue('0x10'), 16);
    assert.equal(parseValue('12abc'), null);
    assert.equal(parseValue(''), null);
  });
});

// ---- address pools ---------------------------------------------------------------

describe('pool entries', () => {
  test('CIDRs: host bits are masked, network and broadcast count', () => {
    const e = parseEntry('192.0.2.77/24');
    assert.ok(e.ok);
    if (!e.ok) return;
    assert.equal(formatIp(4, e.range.start), '192.0.2.0');
    assert.equal(formatIp(4, e.range.end), '192.0.2.255');
    assert.equal(rangeSize(e.range), 256n);
    const single = parseEntry('198.51.100.7/32');
    assert.ok(single.ok && rangeSize(single.range) === 1n);
  });

  test('ranges: inclusive, start <= end, one family', () => {
    const r = parseEntry('194.28.98.219-194.28.98.222');
    assert.ok(r.ok && r.range.kind === 'range' && rangeSize(r.range) === 4n);
    const spaced = parseEntry(' 10.0.0.1 - 10.0.0.1 ');
    assert.ok(spaced.ok && rangeSize(spaced.range) === 1n);
    const back = parseEntry('10.0.0.9-10.0.0.1');
    assert.ok(!back.ok && /start is after its end/.test(back.reason));
    const mixed = parseEntry('10.0.0.1-2001:db8::1');
    assert.ok(!mixed.ok && /mixes IPv4 and IPv6/.test(mixed.reason));
  });

  test('invalid entries say why', () => {
    const bare = parseEntry('198.51.100.7');
    assert.ok(!bare.ok && /bare IP/.test(bare.reason) && /198\.51\.100\.7\/32/.test(bare.reason));
    const bare6 = parseEntry('2001:db8::5');
    assert.ok(!bare6.ok && /2001:db8::5\/128/.test(bare6.reason));
    for (const bad of ['10.0.0.0/33', '10.0.0.256/24', '010.0.0.0/24', '10.0.0/24', 'example.com', '', '10.0.0.0/x', 'fe80::1%eth0/64', '2001:db8::/129']) {
      const p = parseEntry(bad);
      assert.equal(p.ok, false, `${bad} should be invalid`);
    }
  });

  test('IPv6 sizes are exact BigInts', () => {
    const p = parseEntry('2001:db8:1::/64');
    assert.ok(p.ok && rangeSize(p.range) === 1n << 64n);
    assert.ok(p.ok && formatIp(6, p.range.end) === '2001:db8:1:0:ffff:ffff:ffff:ffff');
    const r = parseEntry('2001:db8::10-2001:db8::1f');
    assert.ok(r.ok && rangeSize(r.range) === 16n);
    assert.equal(countForJson(1n << 64n), '18446744073709551616');
    assert.equal(countForJson(384n), 384);
  });

  test('IPv4-mapped IPv6 addresses count as IPv4', () => {
    assert.deepEqual(parseIp('::ffff:10.0.0.1'), parseIp('10.0.0.1'));
  });
});

describe('pool sizes (domain.md §5)', () => {
  test('/24 = 256; /24 + /25 = 384; with avoidBuggyIPs 381', () => {
    assert.equal(poolSize(parsePool('p', ['10.0.0.0/24']).ranges).total, 256n);
    const two = parsePool('p', ['10.0.0.0/24', '10.0.1.0/25'], true);
    assert.equal(poolSize(two.ranges).total, 384n);
    assert.equal(poolSize(two.ranges, true).total, 381n);
    // the upper /25 of a /24 loses its .255 instead
    assert.equal(poolSize(parsePool('p', ['10.0.1.128/25']).ranges, true).total, 127n);
  });

  test('avoidBuggyIPs on ranges across a /24 boundary and on IPv6 (no effect)', () => {
    const r = parsePool('p', ['10.0.0.250-10.0.1.5']);
    assert.equal(poolSize(r.ranges).total, 12n);
    assert.equal(poolSize(r.ranges, true).total, 10n); // .255 and .0 skipped
    assert.equal(poolSize(parsePool('p', ['10.0.0.0/16']).ranges, true).total, 65536n - 512n);
    const v6 = poolSize(parsePool('p', ['2001:db8::/120']).ranges, true);
    assert.equal(v6.ipv6, 256n);
    assert.equal(v6.ipv4, 0n);
  });

  test('the guide example pool', () => {
    const p = parsePool('default', ['144.217.30.192/28', '198.50.185.112/28', '66.70.218.96/28', '194.28.98.217/32', '194.28.98.219-194.28.98.222']);
    assert.equal(p.invalid.length, 0);
    assert.equal(poolSize(p.ranges).ipv4, 16n * 3n + 1n + 4n);
  });

  test('overlapping entries are counted once', () => {
    assert.equal(poolSize(parsePool('p', ['10.0.0.0/28', '10.0.0.8-10.0.0.20']).ranges).total, 21n);
  });

  test('mixed families are reported separately', () => {
    const s = poolSize(parsePool('p', ['203.0.113.0/30', '2001:db8::/126']).ranges);
    assert.deepEqual(s, { ipv4: 4n, ipv6: 4n, total: 8n });
  });

  test('invalid entries are collected with the pool', () => {
    const p = parsePool('default', ['203.0.113.0/28', '198.51.100.7', 42 as unknown as string]);
    assert.equal(p.ranges.length, 1);
    assert.deepEqual(
      p.invalid.map((i) => i.entry),
      ['198.51.100.7', '42'],
    );
    assert.deepEqual(parsePool('x', undefined).ranges, []);
  });
});

describe('overlaps and membership', () => {
  test('across pools and within one pool; adjacent ranges and other families do not overlap', () => {
    const a = parsePool('default', ['203.0.113.0/28']);
    const b = parsePool('reserved', ['203.0.113.8-203.0.113.12']);
    const c = parsePool('next', ['203.0.113.16/28', '2001:db8::/64']);
    const d = parsePool('dup', ['198.51.100.0/24', '198.51.100.128/25']);
    const o = findOverlaps([a, b, c, d]);
    assert.deepEqual(o, [
      { poolA: 'default', entryA: '203.0.113.0/28', poolB: 'reserved', entryB: '203.0.113.8-203.0.113.12' },
      { poolA: 'dup', entryA: '198.51.100.0/24', poolB: 'dup', entryB: '198.51.100.128/25' },
    ]);
    assert.deepEqual(findOverlaps([a, c]), []);
  });

  test('poolContains honours ranges, families and avoidBuggyIPs', () => {
    const p = parsePool('p', ['10.0.0.0/24', '2001:db8::/126']);
    assert.ok(poolContains(p, '10.0.0.7'));
    assert.ok(poolContains(p, '10.0.0.0'));
    assert.ok(!poolContains(p, '10.0.1.0'));
    assert.ok(poolContains(p, '2001:db8::3'));
    assert.ok(!poolContains(p, '2001:db8::4'));
    assert.ok(!poolContains(p, 'not-an-ip'));
    const buggy = parsePool('p', ['10.0.0.0/24'], true);
    assert.ok(!poolContains(buggy, '10.0.0.0'));
    assert.ok(!poolContains(buggy, '10.0.0.255'));
    assert.ok(poolContains(buggy, '10.0.0.1'));
  });
});

// ---- legacy ConfigMap -> CRDs ------------------------------------------------------

describe('convertLegacyConfig (configmaptocrs)', () => {
  test("the guide's example converts to the guide's resources.yaml", () => {
    const c = convertLegacyConfig('address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 194.28.98.216/29\n');
    assert.ok(c.ok, c.errors.join('; '));
    assert.deepEqual(c.objects, [
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'default', namespace: 'metallb-system' }, spec: { addresses: ['194.28.98.216/29'] } },
      { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2advertisement1', namespace: 'metallb-system' }, spec: { ipAddressPools: ['default'] } },
    ]);
    // the YAML is valid multi-document YAML of the same objects
    const docs = parseAllDocuments(c.yaml);
    assert.ok(Array.isArray(docs));
    assert.deepEqual(
      (docs as { toJS(): unknown }[]).map((d) => d.toJS()),
      c.objects,
    );
  });

  test('layer2 and bgp pools, name normalisation, numbering, options, communities, notes', () => {
    const text = [
      'peers:',
      '- peer-address: 10.0.0.1',
      '  peer-asn: 64501',
      '  my-asn: 64500',
      'bgp-communities:',
      '  no-advertise: 65535:65282',
      'address-pools:',
      '- name: BGP_Pool',
      '  protocol: bgp',
      '  avoid-buggy-ips: true',
      '  auto-assign: false',
      '  addresses: [198.51.100.0/24]',
      '  bgp-advertisements:',
      '  - aggregation-length: 32',
      '    localpref: 100',
      '    communities: [no-advertise, "64500:1"]',
      '  - aggregation-length-v6: 128',
      '- name: 1st-l2',
      '  protocol: layer2',
      '  addresses: [203.0.113.0/28]',
      '- name: bgp2',
      '  protocol: bgp',
      '  auto-assign: true',
      '  avoid-buggy-ips: false',
      '  addresses: [192.0.2.0/28]',
      '- name: second_l2',
      '  protocol: layer2',
      '  addresses: [203.0.113.16/28]',
    ].join('\n');
    const c = convertLegacyConfig(text);
    assert.ok(c.ok, c.errors.join('; '));
    const byName = Object.fromEntries(c.objects.map((o) => [`${o.kind}/${o.metadata.name}`, o.spec]));
    assert.deepEqual(Object.keys(byName), [
      'IPAddressPool/bgp-pool',
      'IPAddressPool/st-l2',
      'IPAddressPool/bgp2',
      'IPAddressPool/second-l2',
      'L2Advertisement/l2advertisement1',
      'L2Advertisement/l2advertisement2',
      'BGPAdvertisement/bgpadvertisement1',
      'BGPAdvertisement/bgpadvertisement2',
      'BGPAdvertisement/bgpadvertisement3',
    ]);
    assert.deepEqual(byName['IPAddressPool/bgp-pool'], { addresses: ['198.51.100.0/24'], autoAssign: false, avoidBuggyIPs: true });
    assert.deepEqual(byName['IPAddressPool/bgp2'], { addresses: ['192.0.2.0/28'], autoAssign: true });
    assert.deepEqual(byName['IPAddressPool/st-l2'], { addresses: ['203.0.113.0/28'] });
    assert.deepEqual(byName['L2Advertisement/l2advertisement1'], { ipAddressPools: ['st-l2'] });
    assert.deepEqual(byName['L2Advertisement/l2advertisement2'], { ipAddressPools: ['second-l2'] });
    assert.deepEqual(byName['BGPAdvertisement/bgpadvertisement1'], { aggregationLength: 32, localPref: 100, communities: ['65535:65282', '64500:1'], ipAddressPools: ['bgp-pool'] });
    assert.deepEqual(byName['BGPAdvertisement/bgpadvertisement2'], { aggregationLengthV6: 128, ipAddressPools: ['bgp-pool'] });
    assert.deepEqual(byName['BGPAdvertisement/bgpadvertisement3'], { ipAddressPools: ['bgp2'] });
    assert.ok(c.notes.some((n) => /BGP_Pool.*bgp-pool/.test(n)));
    assert.ok(c.notes.some((n) => /1 BGP peer is not converted/.test(n)));
    assert.deepEqual(
      c.pools.map((p) => [p.originalName, p.name, p.protocol]),
      [
        ['BGP_Pool', 'bgp-pool', 'bgp'],
        ['1st-l2', 'st-l2', 'layer2'],
        ['bgp2', 'bgp2', 'bgp'],
        ['second_l2', 'second-l2', 'layer2'],
      ],
    );
    assert.match(c.yaml, /kind: BGPAdvertisement/);
  });

  test('invalid or overlapping addresses make the conversion fail, with the reason', () => {
    const bad = convertLegacyConfig('address-pools:\n- name: a\n  protocol: layer2\n  addresses: [10.0.0.5]\n');
    assert.equal(bad.ok, false);
    assert.match(bad.errors[0]!, /pool "a": invalid address "10\.0\.0\.5".*bare IP/);
    assert.equal(bad.yaml, '');
    const ov = convertLegacyConfig('address-pools:\n- name: a\n  protocol: layer2\n  addresses: [10.0.0.0/24]\n- name: b\n  protocol: layer2\n  addresses: [10.0.0.128/25]\n');
    assert.equal(ov.ok, false);
    assert.match(ov.errors.join(';'), /pool a entry 10\.0\.0\.0\/24 overlaps pool b entry 10\.0\.0\.128\/25/);
  });

  test('broken inputs fail without throwing', () => {
    assert.match(convertLegacyConfig('address-pools: [\n').errors[0]!, /not valid YAML/);
    assert.match(convertLegacyConfig('- a\n- b\n').errors[0]!, /not a YAML mapping/);
    assert.match(convertLegacyConfig('address-pools: nope\n').errors[0]!, /not a list/);
    assert.match(convertLegacyConfig('address-pools:\n- protocol: layer2\n').errors[0]!, /has no name/);
    assert.match(convertLegacyConfig('address-pools:\n- name: A_b\n  addresses: [10.0.0.0/30]\n  protocol: layer2\n- name: a-b\n  addresses: [10.0.1.0/30]\n  protocol: layer2\n').errors[0]!, /both become IPAddressPool a-b/);
    const odd = convertLegacyConfig('address-pools:\n- name: x\n  protocol: static\n  addresses: [10.0.0.0/30]\n');
    assert.ok(odd.ok);
    assert.deepEqual(odd.objects.map((o) => o.kind), ['IPAddressPool']);
    assert.ok(odd.notes.some((n) => /neither layer2 nor bgp/.test(n)));
  });

  test('normalizePoolName and isLegacyConfig', () => {
    assert.equal(normalizePoolName('My_Pool'), 'my-pool');
    assert.equal(normalizePoolName('42-abc'), 'abc');
    assert.equal(normalizePoolName('a'.repeat(80)).length, 63);
    assert.equal(normalizePoolName('x'.repeat(62) + '_y'), 'x'.repeat(62));
    assert.ok(isLegacyConfig('address-pools:\n- name: default\n'));
    assert.ok(isLegacyConfig('peers: []\naddress-pools: []\n'));
    assert.ok(!isLegacyConfig('foo: bar\n'));
    assert.ok(!isLegacyConfig(undefined));
    assert.ok(!isLegacyConfig('note: "mentions address-pools but is not one"\n'));
    assert.ok(isLegacyConfig('address-pools:\n- name: [broken\n'));
  });

  test('the converted YAML parses back to the objects', () => {
    const c = convertLegacyConfig('address-pools:\n- name: default\n  protocol: layer2\n  auto-assign: true\n  addresses: [203.0.113.0/28]\n');
    const first = parseYaml(c.yaml.split('---\n')[0]!);
    assert.deepEqual(first, c.objects[0]);
  });
});

// ---- MetalLB helpers ---------------------------------------------------------------

describe('versions', () => {
  test('parseVersionTag', () => {
    assert.deepEqual(parseVersionTag('v0.14.8'), { major: 0, minor: 14, patch: 8, pre: undefined, text: 'v0.14.8' });
    assert.equal(parseVersionTag('0.13.12')!.minor, 13);
    assert.equal(parseVersionTag('v0.15')!.patch, 0);
    assert.equal(parseVersionTag('v0.16.0-rc.1')!.pre, 'rc.1');
    for (const t of ['main', 'latest', '', null, undefined, 'sha256', 'v0', 'v1.x']) assert.equal(parseVersionTag(t as string), null, String(t));
  });
  test('compareVersion', () => {
    assert.ok(compareVersion(parseVersionTag('v0.12.1')!, { major: 0, minor: 13, patch: 0 }) < 0);
    assert.ok(compareVersion(parseVersionTag('v0.16.0')!, { major: 0, minor: 16, patch: 0 }) === 0);
    assert.ok(compareVersion(parseVersionTag('v0.14.2')!, parseVersionTag('v0.14.10')!) < 0);
  });
});

describe('advertisement selection (MetalLB semantics)', () => {
  const pool = { name: 'default', labels: { tier: 'public', 'akash.network/pool': 'leases' } };
  test('explicit names, empty = all pools, names without the pool = not selected', () => {
    assert.equal(advertisementSelects({ ipAddressPools: ['default'] }, pool), 'explicit');
    assert.equal(advertisementSelects({}, pool), 'all-pools');
    assert.equal(advertisementSelects(undefined, pool), 'all-pools');
    assert.equal(advertisementSelects({ ipAddressPools: [] }, pool), 'all-pools');
    assert.equal(advertisementSelects({ ipAddressPools: ['public'] }, pool), null);
  });
  test('label selectors: matchLabels, matchExpressions, union with names', () => {
    assert.equal(advertisementSelects({ ipAddressPoolSelectors: [{ matchLabels: { tier: 'public' } }] }, pool), 'selector');
    assert.equal(advertisementSelects({ ipAddressPoolSelectors: [{ matchLabels: { tier: 'private' } }] }, pool), null);
    assert.equal(advertisementSelects({ ipAddressPools: ['other'], ipAddressPoolSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['public'] }] }] }, pool), 'selector');
    assert.equal(advertisementSelects({ ipAddressPoolSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['public'] }] }] }, pool), null);
    assert.equal(advertisementSelects({ ipAddressPoolSelectors: [{}] }, pool), 'selector'); // an empty selector matches everything
    assert.equal(advertisementSelects({ ipAddressPoolSelectors: [{ matchLabels: { x: 'y' } }, { matchLabels: { tier: 'public' } }] }, pool), 'selector');
  });
  test('labelSelectorMatches operators', () => {
    const l = { a: '1' };
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, l));
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }, l));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'b', operator: 'DoesNotExist' }] }, l));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['x'] }] }, l));
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['0'] }] }, l));
    assert.ok(!labelSelectorMatches(null, l));
    assert.ok(!labelSelectorMatches({ matchLabels: { a: '1' } }, undefined));
  });
  test('describeSelection', () => {
    assert.equal(describeSelection({}), 'all pools');
    assert.equal(describeSelection({ ipAddressPools: ['public'] }), 'pool public');
    assert.equal(describeSelection({ ipAddressPools: ['a', 'b'], ipAddressPoolSelectors: [{ matchLabels: { t: 'x' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] }] }), 'pools a, b + pools labelled t=x,k Exists');
  });
});

describe('small helpers', () => {
  test('psaEventSummary keeps the PodSecurity verdict, not the whole list', () => {
    const msg = 'Error creating: pods "metallb-speaker-7xk2p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), non-default capabilities (container "speaker" must not include "NET_RAW")';
    assert.equal(psaEventSummary(msg), 'pods "metallb-speaker-7xk2p" is forbidden: violates PodSecurity "baseline:latest"');
    assert.equal(psaEventSummary('short'), 'short');
    assert.ok(psaEventSummary('word '.repeat(60)).endsWith('...'));
  });
  test('pendingCause', () => {
    assert.equal(pendingCause('Failed to allocate IP for "ns/svc": no available IPs'), 'no-available-ips');
    assert.equal(pendingCause('Failed to allocate IP for "ns/svc": unknown pool "x"'), 'allocation-failed');
    assert.equal(pendingCause(undefined), 'no-event');
  });
  test('memberlistSecretName: volume, env, convention', () => {
    const ds = (name: string, spec: object) => ({ metadata: { name }, spec: { template: { spec } } }) as any;
    assert.deepEqual(memberlistSecretName(ds('speaker', { volumes: [{ name: 'memberlist', secret: { secretName: 'ml-custom' } }] })), { name: 'ml-custom', from: 'volume' });
    assert.deepEqual(memberlistSecretName(ds('speaker', { containers: [{ name: 's', env: [{ name: 'METALLB_ML_SECRET_NAME', value: 'ml-env' }] }] })), { name: 'ml-env', from: 'env' });
    assert.deepEqual(memberlistSecretName(ds('metallb-speaker', {})), { name: 'metallb-memberlist', from: 'convention' });
    assert.deepEqual(memberlistSecretName(ds('speaker', {})), { name: 'memberlist', from: 'convention' });
  });
  test('podProblem, listNames, bodyMessage', () => {
    assert.equal(podProblem({ status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff' } } }] } } as any), 'ImagePullBackOff');
    assert.equal(podProblem({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } } as any), 'unschedulable (Unschedulable)');
    assert.equal(listNames(['a', 'b']), 'a, b');
    assert.equal(listNames(['a', 'b', 'c', 'd', 'e']), 'a, b, c and 2 more');
    assert.equal(bodyMessage('{"kind":"Status","message":"services \\"controller\\" not found"}'), 'services "controller" not found');
    assert.equal(bodyMessage('\n  plain text\nmore'), 'plain text');
  });
});

describe('allocationMiss (MetalLB v0.14.9 allocator: Allocate, pinnedPoolsForService, isPoolCompatibleWithService)', () => {
  const lease = { namespace: 'lease-abc', namespaceLabels: { 'akash.network': 'true' }, serviceLabels: { 'akash.network': 'true', 'akash.network/service-target': 'metal-lb' }, what: 'x' };
  test('plain pools auto-assign; autoAssign false never does', () => {
    assert.equal(allocationMiss({ addresses: ['a'] }, FUTURE_LEASE), null);
    assert.equal(allocationMiss({ autoAssign: true }, FUTURE_LEASE), null);
    assert.equal(allocationMiss({ autoAssign: false }, FUTURE_LEASE), 'auto-assign');
  });
  test('namespaces: a fixed list cannot name a future lease namespace', () => {
    const spec = { serviceAllocation: { namespaces: ['lease-abc'] } };
    assert.equal(allocationMiss(spec, lease), null);
    assert.equal(allocationMiss(spec, FUTURE_LEASE), 'namespace');
  });
  test('namespaceSelectors and serviceSelectors', () => {
    assert.equal(allocationMiss({ serviceAllocation: { namespaceSelectors: [{ matchLabels: { 'akash.network': 'true' } }] } }, FUTURE_LEASE), null);
    assert.equal(allocationMiss({ serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'a' } }] } }, FUTURE_LEASE), 'namespace');
    assert.equal(allocationMiss({ serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: 'akash.network/service-target', operator: 'In', values: ['metal-lb'] }] }] } }, FUTURE_LEASE), null);
    assert.equal(allocationMiss({ serviceAllocation: { serviceSelectors: [{ matchLabels: { app: 'x' } }] } }, FUTURE_LEASE), 'service');
    // both: the namespace must be in the set AND a service selector must match
    assert.equal(allocationMiss({ serviceAllocation: { namespaceSelectors: [{ matchLabels: { 'akash.network': 'true' } }], serviceSelectors: [{ matchLabels: { app: 'x' } }] } }, FUTURE_LEASE), 'service');
  });
  test('a serviceAllocation with only a priority pins the pool nowhere', () => {
    assert.equal(allocationMiss({ serviceAllocation: { priority: 10 } }, FUTURE_LEASE), 'not-pinned');
  });
});

describe('finding MetalLB by labels and release', () => {
  test('Helm labels give the release; manifest labels; the image as a last resort', () => {
    const helm = { metadata: { name: 'lb-metallb-controller', labels: { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/instance': 'lb', 'app.kubernetes.io/component': 'controller' } } };
    assert.deepEqual(metallbRole(helm, 'controller'), { method: 'helm', release: 'lb', foundBy: 'labels' });
    assert.equal(metallbRole(helm, 'speaker'), null);
    assert.deepEqual(metallbRole({ metadata: { name: 'controller', labels: { app: 'metallb', component: 'controller' } } }, 'controller'), { method: 'manifest', release: null, foundBy: 'labels' });
    const bare = { metadata: { name: 'lb' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'quay.io/metallb/controller:v0.14.9' }] } } } };
    assert.equal(metallbRole(bare, 'controller')?.foundBy, 'image');
    assert.equal(metallbRole({ metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'example/controller:1' }] } } } }, 'controller'), null);
  });
  test('Helm fullname: the release name when it contains "metallb", else <release>-metallb', () => {
    assert.equal(fullnameForRelease('metallb'), 'metallb');
    assert.equal(fullnameForRelease('my-metallb'), 'my-metallb');
    assert.equal(fullnameForRelease('lb'), 'lb-metallb');
  });
});
