import { useMemo } from 'react';
import { api } from './endpoints';
import type { MiniProgram, Organisation } from '@mpop/contracts';
import { useRequest } from './use-request';

/**
 * The mini programs and organisations the user can see, by ID: lists of reviews and association requests carry
 * IDs, and show names. Failing to load them only costs the names (the IDs stay); `error` says why.
 */
export function useDirectory() {
  const programs = useRequest((signal) => api.listMiniPrograms(signal), []);
  const orgs = useRequest((signal) => api.listOrganisations(signal).catch(() => ({ items: [] })), []);
  return useMemo(() => {
    const programById = new Map((programs.data?.items as MiniProgram[] | undefined)?.map((m) => [m.miniProgramId, m]));
    const orgById = new Map<string, Organisation>(orgs.data?.items.map((o) => [o.orgId, o]));
    return {
      programs: (programs.data?.items ?? []) as MiniProgram[],
      organisations: orgs.data?.items ?? [],
      programName: (id: string) => programById.get(id)?.name ?? id,
      orgName: (id: string) => orgById.get(id)?.name ?? id,
      org: (id: string) => orgById.get(id),
      reloadPrograms: programs.reload,
      error: programs.error,
      loading: programs.loading || orgs.loading,
    };
  }, [programs.data, programs.reload, programs.loading, programs.error, orgs.data, orgs.loading]);
}
