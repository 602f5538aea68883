import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The JavaScript a first visit to a page downloads, gzipped: the entry, the page's lazy chunk, and every chunk
 * they import statically. The build prints it for the sign-in and Host App pages and fails when one is over
 * budget, so the split stays honest (instead of a silenced chunk-size warning).
 */
const INITIAL_JS_BUDGET_KB = 250;
const PAGES: Record<string, string[]> = {
  'sign-in': ['src/auth/SignInPage.tsx'],
  'host-app': ['src/layout/AppLayout.tsx', 'src/pages/host-apps/HostAppPage.tsx'],
};

function initialJsBudget(): Plugin {
  return {
    name: 'mpop-initial-js-budget',
    apply: 'build',
    generateBundle(_, bundle) {
      const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
      const byFile = new Map(chunks.map((c) => [c.fileName, c]));
      const closure = (start: string[], seen = new Set<string>()) => {
        for (const f of start) {
          if (seen.has(f)) continue;
          seen.add(f);
          closure(byFile.get(f)?.imports ?? [], seen);
        }
        return seen;
      };
      const entry = chunks.find((c) => c.isEntry);
      if (!entry) return;
      const report: string[] = [];
      for (const [page, modules] of Object.entries(PAGES)) {
        const lazy = modules.map((m) => chunks.find((c) => c.facadeModuleId?.endsWith(m))?.fileName);
        if (lazy.some((f) => !f)) this.error(`initial JS budget: no lazy chunk for ${modules.join(', ')}`);
        const files = closure([entry.fileName, ...(lazy as string[])]);
        const bytes = [...files].reduce((sum, f) => sum + gzipSync(byFile.get(f)!.code, { level: 9 }).length, 0);
        const kb = bytes / 1024;
        report.push(`${page} ${kb.toFixed(1)} KB (${files.size} chunks)`);
        if (kb > INITIAL_JS_BUDGET_KB)
          this.error(`initial JS of the ${page} page is ${kb.toFixed(1)} KB gzipped, over ${INITIAL_JS_BUDGET_KB} KB`);
      }
      this.info(`initial JS, gzipped: ${report.join('; ')} (budget ${INITIAL_JS_BUDGET_KB} KB each)`);
    },
  };
}

// The console is served by the mpop server itself; in `npm run dev -w @mpop/console` the API is proxied to it.
export default defineConfig({
  plugins: [react(), initialJsBudget()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': 'http://localhost:8080', '/client': 'http://localhost:8080' } },
});
