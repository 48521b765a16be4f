// Browser test: JupyterLab 4 in Debian's headless Chromium, driven by
// playwright-core. It opens a lesson, runs all cells, and checks that no
// cell raised an error, that tables and Vega-Lite charts rendered, and saves
// a screenshot in $GOKERNEL_ARTIFACTS/browser/ (README: "Testing").
//
//   node notebooks/tests/browser.mjs [lessons/NN-name.ipynb]
//
// Needs `jupyter` (from .ci/setup's virtualenv) on PATH and the gokernel
// kernelspec in $JUPYTER_DATA_DIR (.ci/test installs both).
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const lesson = process.argv[2] || 'lessons/03-concurrency-is-not-parallelism.ipynb';
const artifacts = join(process.env.GOKERNEL_ARTIFACTS || join(here, '..', '..', '.ci', 'artifacts'), 'browser');
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function waitFor(what, fn, timeoutMs, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await new Promise(r => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

const work = mkdtempSync(join(tmpdir(), 'gokernel-lab-'));
cpSync(join(here, '..'), join(work, 'notebooks'), {
  recursive: true,
  filter: src => !src.includes('node_modules') && !src.includes('.ipynb_checkpoints'),
});
// A settings dir of our own: JupyterLab's first-run question about news
// would sit over the notebook in every screenshot; answer it with no.
const settings = join(work, 'settings');
mkdirSync(join(settings, '@jupyterlab', 'apputils-extension'), { recursive: true });
writeFileSync(join(settings, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'),
  JSON.stringify({ fetchNews: 'false' }));
const port = await freePort();
const token = randomBytes(16).toString('hex');
const lab = spawn('jupyter', ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
  `--IdentityProvider.token=${token}`, '--allow-root', '--ServerApp.root_dir=' + join(work, 'notebooks'),
  '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True',
  '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  '--LabApp.user_settings_dir=' + settings],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let labLog = '';
let labExited = null;
lab.on('exit', code => { labExited = code; });
lab.stdout.on('data', d => { labLog += d; });
lab.stderr.on('data', d => { labLog += d; });

let browser;
let failed = false;
try {
  const base = `http://127.0.0.1:${port}`;
  await waitFor('JupyterLab to listen', async () => {
    if (labExited !== null) throw new Error(`jupyter lab exited with status ${labExited}`);
    return (await fetch(`${base}/api/status?token=${token}`)).ok;
  }, 60000);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const consoleErrors = [];
  page.on('pageerror', e => consoleErrors.push(String(e)));
  await page.goto(`${base}/lab/tree/${lesson}?token=${token}`);
  await waitFor('the notebook and its kernel', () => page.evaluate(() => {
    const app = window.jupyterapp;
    const w = app && app.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k && k.status === 'idle' && w.sessionContext.kernelDisplayName.includes('Go');
  }), 90000);
  const t0 = Date.now();
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  // Done when every code cell has an execution count and the kernel is idle.
  await waitFor('all cells to run', () => page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const cells = [...w.content.model.cells].filter(c => c.type === 'code' && c.sharedModel.getSource().trim());
    return w.sessionContext.session.kernel.status === 'idle' && cells.every(c => c.executionCount !== null);
  }), 240000, 1000);
  const runSeconds = (Date.now() - t0) / 1000;
  await page.waitForTimeout(1500); // let renderers (vega-embed) finish
  const report = await page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const errors = [];
    for (const c of w.content.model.cells) {
      if (c.type !== 'code') continue;
      for (let i = 0; i < c.outputs.length; i++) {
        const o = c.outputs.get(i).toJSON();
        if (o.output_type === 'error') errors.push(`${o.ename}: ${o.evalue}`);
      }
    }
    const node = w.content.node;
    return {
      errors,
      tables: node.querySelectorAll('.jp-OutputArea-output table').length,
      charts: [...node.querySelectorAll('.jp-OutputArea-output')].filter(
        el => el.querySelector('.vega-embed svg, .vega-embed canvas')).length,
    };
  });
  await page.screenshot({ path: join(artifacts, 'lesson.png'), fullPage: false });
  // Also one screenshot scrolled to the first chart, where the eye goes.
  // JupyterLab renders only the cells in view (windowed notebooks), so
  // scroll with its own API to the first cell with a chart, then let it draw.
  const chartCell = await page.evaluate(async () => {
    const w = window.jupyterapp.shell.currentWidget;
    const cells = [...w.content.model.cells];
    const i = cells.findIndex(c => c.type === 'code' && [...Array(c.outputs.length).keys()].some(
      k => 'application/vnd.vegalite.v5+json' in (c.outputs.get(k).toJSON().data || {})));
    if (i >= 0) {
      w.content.activeCellIndex = i;
      await w.content.scrollToItem(i, 'start');
    }
    return i;
  });
  if (chartCell >= 0) {
    await page.waitForSelector('.jp-mod-active .vega-embed svg, .jp-mod-active .vega-embed canvas', { timeout: 10000 }).catch(() => {});
    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(artifacts, 'chart.png') });
  }
  console.log(`ran ${lesson} in ${runSeconds.toFixed(1)} s: ${report.tables} tables, ${report.charts} charts, ${report.errors.length} errors`);
  if (report.errors.length) { failed = true; console.error('error outputs:\n  ' + report.errors.join('\n  ')); }
  if (report.tables === 0) { failed = true; console.error('no table rendered'); }
  if (report.charts === 0) { failed = true; console.error('no Vega-Lite chart rendered'); }
  if (consoleErrors.length) console.log('page errors (not failing the test):\n  ' + consoleErrors.join('\n  '));
  // A notebook executed elsewhere (here by `gokernel execute`) opens
  // untrusted: JupyterLab then hides HTML and SVG outputs, but its charts
  // (Vega-Lite) must still show.
  const bin = process.env.GOKERNEL_BIN;
  if (bin) {
    const saved = join(work, 'notebooks', 'executed-untrusted.ipynb');
    const r = spawnSync(bin, ['execute', '--quiet', '--output', saved, join(work, 'notebooks', lesson)],
      { cwd: join(work, 'notebooks', 'lessons'), encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) { failed = true; console.error('gokernel execute failed:', r.stderr); }
    else {
      await page.goto(`${base}/lab/tree/executed-untrusted.ipynb?token=${token}`);
      await waitFor('the executed notebook', () => page.evaluate(() => {
        const w = window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === 'executed-untrusted.ipynb' && w.content.widgets.length > 0;
      }), 60000);
      await page.waitForTimeout(3000);
      const saved = await page.evaluate(() => {
        const w = window.jupyterapp.shell.currentWidget;
        const cells = [...w.content.model.cells].filter(c => c.type === 'code');
        return {
          untrusted: cells.every(c => !c.trusted),
          charts: [...w.content.node.querySelectorAll('.jp-OutputArea-output')].filter(
            el => el.querySelector('.vega-embed svg, .vega-embed canvas')).length,
        };
      });
      console.log(`executed copy opened ${saved.untrusted ? 'untrusted' : 'TRUSTED'}: ${saved.charts} charts rendered`);
      if (!saved.untrusted) { failed = true; console.error('the executed copy was trusted: the check proves nothing'); }
      if (saved.charts === 0) { failed = true; console.error('no chart rendered in the untrusted notebook'); }
      const chart2 = await page.$('.vega-embed');
      if (chart2) { await chart2.scrollIntoViewIfNeeded(); await page.screenshot({ path: join(artifacts, 'untrusted-chart.png') }); }
    }
  }
  console.log(`screenshots in ${artifacts}`);
} catch (e) {
  failed = true;
  console.error('browser test failed:', e.message);
  console.error('--- jupyter lab log (tail) ---\n' + labLog.split('\n').slice(-40).join('\n'));
} finally {
  if (browser) await browser.close();
  try { process.kill(-lab.pid, 'SIGTERM'); } catch { /* already gone */ }
  await new Promise(r => setTimeout(r, 1000));
  try { process.kill(-lab.pid, 'SIGKILL'); } catch { /* already gone */ }
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
