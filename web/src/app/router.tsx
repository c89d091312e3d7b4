import { useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';

/**
 * History routing in a few lines: the server answers every client path with index.html, and
 * this turns the path into a page. Patterns are `/market/:symbol?` style.
 */

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((fn) => fn());
window.addEventListener('popstate', notify);

export function navigate(to: string, o: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (o.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

export function usePath(): string {
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    () => location.pathname,
  );
}

/** The parameters of `path` under `pattern`, or undefined when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const w = want[i];
    const g = got[i];
    if (w === undefined) return undefined;
    if (w.startsWith(':')) {
      const optional = w.endsWith('?');
      if (g === undefined) {
        if (optional) continue;
        return undefined;
      }
      params[w.slice(1, optional ? -1 : undefined)] = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return params;
}

export function Link(props: {
  to: string;
  className?: string;
  children: ReactNode;
  title?: string;
}) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} className={props.className} title={props.title} onClick={onClick}>
      {props.children}
    </a>
  );
}
