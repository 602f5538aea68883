import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served by the mpop server itself; in `npm run dev -w @mpop/console` the API is proxied to it.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://localhost:8080', '/client': 'http://localhost:8080' } },
});
