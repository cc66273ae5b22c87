// Builds the credits portal (Preact) into dist/portal, served by the gateway under /portal.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../dist/portal', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows scripts from this origin only: no inline module-preload polyfill.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
