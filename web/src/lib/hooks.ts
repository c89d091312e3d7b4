import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { messageOf, type Api } from './api';
import type { Auth, AuthState } from './auth';
import type { Realtime, RealtimeStatus, Subscription } from './realtime';

export const AuthContext = createContext<Auth | null>(null);
export const RealtimeContext = createContext<Realtime | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside <AuthContext>');
  return auth;
}

export function useAuthState(): AuthState {
  const auth = useAuth();
  return useSyncExternalStore(auth.subscribe, () => auth.current);
}

export const useApi = (): Api => useAuth().api;

/** Calls `handler` with each message of a channel while mounted (and `sub` is given). */
export function useChannel<T>(sub: Subscription | undefined, handler: (data: T) => void): void {
  const rt = useContext(RealtimeContext);
  const ref = useRef(handler);
  ref.current = handler;
  const key = sub ? JSON.stringify(sub) : '';
  useEffect(() => {
    if (!rt || !key) return;
    return rt.subscribe(JSON.parse(key) as Subscription, (d) => ref.current(d as T));
  }, [rt, key]);
}

/** Runs `fn` after the live connection comes back, when what was missed must be re-read. */
export function useResync(fn: () => void): void {
  const rt = useContext(RealtimeContext);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => rt?.onResync(() => ref.current()), [rt]);
}

export function useRealtimeStatus(): RealtimeStatus {
  const rt = useContext(RealtimeContext);
  const [status, setStatus] = useState<RealtimeStatus>(rt?.status ?? 'offline');
  useEffect(() => {
    if (!rt) return;
    setStatus(rt.status);
    return rt.onStatus(setStatus);
  }, [rt]);
  return status;
}

/** Calls `fn` every `ms` while the tab is visible. */
export function useInterval(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') ref.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

export interface Resource<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): Promise<void>;
}

/** A GET that loads on mount and whenever `path` changes, with an explicit reload. */
export function useResource<T>(path: string | undefined): Resource<T> {
  const api = useApi();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(Boolean(path));
  const latest = useRef(path);
  latest.current = path;
  const reload = useCallback(async () => {
    if (!path) return;
    setLoading(true);
    try {
      const d = await api.get<T>(path);
      if (latest.current === path) {
        setData(d);
        setError(undefined);
      }
    } catch (err) {
      if (latest.current === path) setError(messageOf(err));
    } finally {
      if (latest.current === path) setLoading(false);
    }
  }, [api, path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}
