/**
 * Builds `dist/widget.js`: one self-contained, minified IIFE (styles inlined as a string
 * for the Shadow DOM, no chunks) that a host page loads with a single script tag.
 */
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  define: { __PARLEY_VERSION__: JSON.stringify(version) },
  build: {
    target: 'es2019',
    minify: true,
    sourcemap: false,
    emptyOutDir: true,
    cssCodeSplit: false,
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    lib: {
      entry: 'src/main.ts',
      formats: ['iife'],
      name: 'ParleyWidget',
      fileName: () => 'widget.js',
    },
  },
});
