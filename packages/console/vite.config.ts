/**
 * Build of the operator console. Parley serves `dist/` under `/console/`, hence `base`.
 * Vite 8 compiles TypeScript with Oxc (its successor to the esbuild transform); the
 * automatic JSX runtime from Preact needs no framework plugin.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
});
