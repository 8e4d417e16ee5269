/**
 * MetalLB address-pool math (domain.md §5), pure and unit-tested:
 * parsing pool entries (CIDR or `start-end` range, IPv4 or IPv6), pool sizes
 * (BigInt, so IPv6 /64s are exact), `avoidBuggyIPs`, overlap detection and
 * "is this IP inside the pool".
 *
 * Semantics follow MetalLB's config parser: a CIDR's host bits are masked; a
 * range needs start ≤ end and both ends of one family; a bare IP is invalid
 * (a single address is written `/32` or `/128`); network and broadcast
 * addresses count; with `avoidBuggyIPs` IPv4 addresses ending in .0 or .255
 * are never handed out. Pools may not overlap (MetalLB rejects the whole
 * configuration), and neither may the entries of one pool.
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface AddressRange {
  /** The entry as written in the pool. */
  entry: string;
  kind: 'cidr' | 'range';
  family: Family;
  /** First and last address (inclusive) as integers. */
  start: bigint;
  end: bigint;
}

export type ParsedEntry = { ok: true; range: AddressRange } | { ok: false; entry: string; reason: string };

export interface ParsedPool {
  name: string;
  ranges: AddressRange[];
  invalid: { entry: string; reason: string }[];
  avoidBuggyIPs: boolean;
}

export interface PoolSize {
  ipv4: bigint;
  ipv6: bigint;
  total: bigint;
}

export interface Overlap {
  poolA: string;
  entryA: string;
  poolB: string;
  entryB: string;
}

/** Parse one address (no prefix). Strict dotted-quad IPv4 (no leading zeros), IPv6 without zone. */
export function parseIp(text: string): { family: Family; value: bigint } | null {
  const s = text.trim();
  if (!s || s.includes('%')) return null;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) addr = ipaddr.IPv4.parse(s);
  else if (s.includes(':') && ipaddr.IPv6.isValid(s)) {
    const v6 = ipaddr.IPv6.parse(s);
    // Go treats IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4
    addr = v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  } else return null;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value: bytesToBig(addr.toByteArray()) };
}

function bytesToBig(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Format an integer address back to text (IPv6 in RFC 5952 form). */
export function formatIp(family: Family, value: bigint): string {
  const n = bits(family) / 8;
  const bytes: number[] = new Array(n);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const addr = ipaddr.fromByteArray(bytes);
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
}

/** Parse one pool entry: `a.b.c.d/nn`, `x::/nn` or `start-end`. */
export function parseEntry(entry: string): ParsedEntry {
  const raw = String(entry ?? '');
  const s = raw.trim();
  const bad = (reason: string): ParsedEntry => ({ ok: false, entry: raw, reason });
  if (!s) return bad('empty entry');
  if (s.includes('-')) {
    const i = s.indexOf('-');
    const a = parseIp(s.slice(0, i));
    const b = parseIp(s.slice(i + 1));
    if (!a) return bad(`range start "${s.slice(0, i).trim()}" is not an IP address`);
    if (!b) return bad(`range end "${s.slice(i + 1).trim()}" is not an IP address`);
    if (a.family !== b.family) return bad('range mixes IPv4 and IPv6');
    if (a.value > b.value) return bad('range start is after its end');
    return { ok: true, range: { entry: raw, kind: 'range', family: a.family, start: a.value, end: b.value } };
  }
  if (s.includes('/')) {
    const i = s.lastIndexOf('/');
    const ip = parseIp(s.slice(0, i));
    const prefixText = s.slice(i + 1).trim();
    if (!ip) return bad(`"${s.slice(0, i).trim()}" is not an IP address`);
    if (!/^\d{1,3}$/.test(prefixText)) return bad(`prefix length "${prefixText}" is not a number`);
    const prefix = Number(prefixText);
    const width = bits(ip.family);
    if (prefix > width) return bad(`prefix length /${prefix} is longer than ${width} bits`);
    const hostBits = BigInt(width - prefix);
    const start = (ip.value >> hostBits) << hostBits; // host bits are masked
    const end = start + (1n << hostBits) - 1n;
    return { ok: true, range: { entry: raw, kind: 'cidr', family: ip.family, start, end } };
  }
  const single = parseIp(s);
  if (single) return bad(`a bare IP is not valid: write ${s}/${bits(single.family)} for a single address`);
  return bad('neither a CIDR (a.b.c.d/nn) nor a range (start-end)');
}

export function parsePool(name: string, addresses: unknown, avoidBuggyIPs = false): ParsedPool {
  const list = Array.isArray(addresses) ? addresses : [];
  const pool: ParsedPool = { name, ranges: [], invalid: [], avoidBuggyIPs };
  for (const a of list) {
    const p = parseEntry(typeof a === 'string' ? a : String(a));
    if (p.ok) pool.ranges.push(p.range);
    else pool.invalid.push({ entry: p.entry, reason: p.reason });
  }
  return pool;
}

/** How many integers in [start, end] are ≡ r (mod 256). */
function countCongruent(start: bigint, end: bigint, r: bigint): bigint {
  const upTo = (n: bigint): bigint => (n < r ? 0n : (n - r) / 256n + 1n);
  return upTo(end) - upTo(start - 1n);
}

/** Addresses of one range, minus .0/.255 IPv4 addresses when avoidBuggyIPs is set. */
export function rangeSize(r: AddressRange, avoidBuggyIPs = false): bigint {
  let size = r.end - r.start + 1n;
  if (avoidBuggyIPs && r.family === 4) size -= countCongruent(r.start, r.end, 0n) + countCongruent(r.start, r.end, 255n);
  return size;
}

/**
 * Size of a set of ranges. Overlapping entries are counted once (MetalLB rejects
 * them anyway; counting them once keeps the number honest).
 */
export function poolSize(ranges: readonly AddressRange[], avoidBuggyIPs = false): PoolSize {
  const out: PoolSize = { ipv4: 0n, ipv6: 0n, total: 0n };
  for (const fam of [4, 6] as Family[]) {
    for (const r of mergeRanges(ranges.filter((x) => x.family === fam))) {
      const n = rangeSize(r, avoidBuggyIPs);
      if (fam === 4) out.ipv4 += n;
      else out.ipv6 += n;
    }
  }
  out.total = out.ipv4 + out.ipv6;
  return out;
}

/** Union of ranges of one family, sorted, adjacent/overlapping ones merged. */
function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: AddressRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}

function overlaps(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/** Every pair of overlapping entries, within one pool or across pools. */
export function findOverlaps(pools: readonly ParsedPool[]): Overlap[] {
  const all: { pool: string; r: AddressRange }[] = pools.flatMap((p) => p.ranges.map((r) => ({ pool: p.name, r })));
  const out: Overlap[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (overlaps(all[i]!.r, all[j]!.r)) out.push({ poolA: all[i]!.pool, entryA: all[i]!.r.entry, poolB: all[j]!.pool, entryB: all[j]!.r.entry });
    }
  }
  return out;
}

/** Is `ip` inside one of the ranges (and not a skipped .0/.255 address with avoidBuggyIPs)? */
export function poolContains(pool: Pick<ParsedPool, 'ranges' | 'avoidBuggyIPs'>, ip: string): boolean {
  const p = parseIp(ip);
  if (!p) return false;
  if (pool.avoidBuggyIPs && p.family === 4) {
    const last = p.value & 0xffn;
    if (last === 0n || last === 255n) return false;
  }
  return pool.ranges.some((r) => r.family === p.family && r.start <= p.value && p.value <= r.end);
}

/** A BigInt count as a number when it fits safely, else as a decimal string (for JSON details). */
export function countForJson(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}
