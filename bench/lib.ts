import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * Starts a process and resolves once it prints a line matching `ready`, or once `readyUrl`
 * answers 200 (for servers that log nothing at the benchmark's log level).
 */
export function startProcess(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  readyUrl?: string,
): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    if (readyUrl) {
      const poll = setInterval(() => {
        fetch(readyUrl).then(
          (r) => {
            if (r.ok) {
              clearInterval(poll);
              resolve({ child, line: readyUrl });
            }
          },
          () => {},
        );
      }, 100);
      poll.unref();
    }
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => ready.test(l));
      if (m) {
        child.stdout!.off('data', onData);
        resolve({ child, line: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`${cmd} exited with ${code}:\n${out}`)));
  });
}

export async function load(
  url: string,
  opts: { headers?: Record<string, string>; connections: number; seconds: number },
): Promise<Figures> {
  const r = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.headers ?? {},
    pipelining: 1,
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, ms) a process has used, from /proc; NaN where there is none. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}
