/**
 * A route's own hooks of one kind as an array (Fastify accepts none, one function or an array). Plugins use it to
 * add a hook to only the routes that need it, in `onRoute`, instead of a global hook every request pays for.
 */
// biome-ignore lint/suspicious/noExplicitAny: route hook arrays of any hook type
export const routeHooks = (h: any): any[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
