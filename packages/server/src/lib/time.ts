/** Timestamps are stored and returned as ISO 8601 UTC strings with milliseconds: sortable as text on both dialects. */
export const nowIso = (): string => new Date().toISOString();
