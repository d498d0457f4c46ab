/**
 * The browser UIs: the embeddable widget (`/widget.js`), a demo page that embeds it
 * (`/`), and the operator console (`/console/`), built by `npm run build`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { HttpDeps } from '../app.js';

const packagesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../');
export const WIDGET_DIST = path.join(packagesDir, 'widget', 'dist');
export const CONSOLE_DIST = path.join(packagesDir, 'console', 'dist');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function demoPage(chatId: string | null): string {
  const embed = chatId
    ? `<script src="/widget.js" data-chat-id="${escapeHtml(chatId)}" async></script>`
    : '<p><strong>No chat with a bot exists yet.</strong> Start Parley with <code>npm start</code> to seed the demo.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley demo shop</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#222}
code{background:#f3f3f3;padding:.1em .3em;border-radius:4px}h1{margin-bottom:.2em}</style></head>
<body>
<h1>Parley demo shop</h1>
<p>This page embeds the Parley chat widget with one script tag. Open the chat (bottom right), talk to the bot,
press <em>Оператор / Operator</em>, and answer from the <a href="/console/" target="_blank">operator console</a> in another window.</p>
<pre><code>${escapeHtml(embed)}</code></pre>
${embed}
</body></html>`;
}

const missing = (what: string) =>
  `<!doctype html><meta charset="utf-8"><title>Parley</title><p>The ${what} is not built. Run <code>npm run build</code> (or start Parley with <code>npm start</code>, which builds it).</p>`;

export function uiRoutes({ ctx }: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => {
      const chat = await ctx.db.kysely.selectFrom('chats').select('id').where('bot_id', 'is not', null).orderBy('created_at').limit(1).executeTakeFirst();
      return reply.type('text/html; charset=utf-8').send(demoPage(chat?.id ?? null));
    });
    app.get('/widget.js', { schema: { hide: true } }, async (_req, reply) => {
      const file = path.join(WIDGET_DIST, 'widget.js');
      if (!fs.existsSync(file)) return reply.status(503).type('application/javascript').send(`console.error(${JSON.stringify(missing('widget'))});`);
      void reply.header('access-control-allow-origin', '*');
      void reply.header('cache-control', 'public, max-age=300');
      return reply.type('application/javascript; charset=utf-8').send(fs.createReadStream(file));
    });
    if (fs.existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
      await app.register(fastifyStatic, { root: CONSOLE_DIST, prefix: '/console/', decorateReply: false, index: 'index.html' });
      // `/console` and `/console/` are one route here (ignoreTrailingSlash): serve the page for
      // the slash form and redirect the bare one, so relative asset paths resolve.
      app.get('/console', { schema: { hide: true } }, async (req, reply) =>
        req.url.split('?')[0]!.endsWith('/')
          ? reply.type('text/html; charset=utf-8').send(fs.createReadStream(path.join(CONSOLE_DIST, 'index.html')))
          : reply.redirect('/console/'),
      );
    } else {
      app.get('/console/*', { schema: { hide: true } }, async (_req, reply) => reply.status(503).type('text/html; charset=utf-8').send(missing('console')));
    }
  };
}
