import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
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
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    api.session().then(
      (s) => setUser(s.user),
      () => setUser(null),
    );
  }, []);
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

  return <SessionContext.Provider value={{ user, expired, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
