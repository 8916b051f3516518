import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Decodes a /proc/net/tcp{,6} local address (little-endian hex) to `ip:port`. */
function decode(hex: string): string {
  const [addr = '', port = ''] = hex.split(':');
  const p = Number.parseInt(port, 16);
  if (addr.length === 8) {
    const bytes = addr.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? [];
    return `${bytes.reverse().join('.')}:${p}`;
  }
  // IPv6: four little-endian 32-bit words.
  const words = addr.match(/.{8}/g) ?? [];
  const groups = words.flatMap((w) => {
    const b = w.match(/../g)?.reverse().join('') ?? '';
    return [b.slice(0, 4), b.slice(4, 8)];
  });
  return `[${groups.map((g) => g.replace(/^0+(?=.)/, '')).join(':')}]:${p}`;
}

/** TCP addresses a process listens on, read from /proc (Linux only). */
export function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {}
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A = LISTEN; column 9 is the inode.
      if (cols[3] === '0A' && cols[9] && inodes.has(cols[9]) && cols[1]) out.push(decode(cols[1]));
    }
  }
  return out;
}
