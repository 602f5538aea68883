import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { SessionUser } from '@mpop/contracts';
import { api } from '../api/endpoints';
import { onUnauthenticated } from '../api/client';

interface SessionState {
  /** undefined while checking, null when signed out. */
  user: SessionUser | null | undefined;
  /** Set when a signed-in user's session ended (expired, revoked). */
  expired: boolean;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** Reads the user again (after their own role changed). */
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** The signed-in user. `initialUser` skips asking the server (component tests start signed in as a role). */
export function SessionProvider({ children, initialUser }: { children: ReactNode; initialUser?: SessionUser | null }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(initialUser);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    if (initialUser !== undefined) return;
    const controller = new AbortController();
    api.session(controller.signal).then(
      (s) => setUser(s.user),
      () => !controller.signal.aborted && setUser(null),
    );
    return () => controller.abort();
  }, [initialUser]);
  useEffect(
    () =>
      onUnauthenticated(() => {
        setUser((current) => {
          if (current) setExpired(true);
          return null;
        });
      }),
    [],
  );

  const signIn = useCallback(async (username: string, password: string) => {
    const s = await api.signIn({ username, password });
    setExpired(false);
    setUser(s.user);
  }, []);
  const signOut = useCallback(async () => {
    await api.signOut().catch(() => undefined);
    setUser(null);
  }, []);
  const refresh = useCallback(async () => {
    const s = await api.session().catch(() => undefined);
    if (s) setUser(s.user);
  }, []);

  const value = useMemo(() => ({ user, expired, signIn, signOut, refresh }), [user, expired, signIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
