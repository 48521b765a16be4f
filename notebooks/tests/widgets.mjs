// Widgets in the browser: JupyterLab 4 with jupyterlab_widgets 3 in
// headless Chromium (playwright-core, as browser.mjs). A notebook of its own
// (written here, so the lessons' tests are untouched) makes an IntSlider and
// an Interact; the test checks that the slider renders, moves it with the
// keyboard as a user would, and sees the Interact's output change; then it
// reloads the page and checks that the widget comes back from the kernel
// (jupyter.widget.control, request_states).
//
//   node notebooks/tests/widgets.mjs
//
// Needs `jupyter` with jupyterlab_widgets (.ci/setup's virtualenv) on PATH
// and the gokernel kernelspec in $JUPYTER_DATA_DIR (.ci/test installs both).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
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

const cell = (id, source) => ({ cell_type: 'code', execution_count: null, id, metadata: {}, outputs: [], source });
const notebook = {
  cells: [
    cell('w-1', 'n := widgets.NewIntSlider("n", 0, 100, 10)\n' +
      'widgets.Interact(func() { fmt.Printf("square of %d is %d\\n", n.Value(), n.Value()*n.Value()) }, n)'),
    cell('w-2', 'bad := widgets.NewIntSlider("bad", 0, 10, 0)\n' +
      'bad.Observe(func(v int) { panic(fmt.Sprintf("observer refuses %d", v)) })\n' +
      'bad'),
  ],
  metadata: {
    kernelspec: { display_name: 'Go (gokernel)', language: 'go', name: process.env.GOKERNEL_KERNEL_NAME || 'gokernel' },
    language_info: { name: 'go' },
  },
  nbformat: 4, nbformat_minor: 5,
};

const work = mkdtempSync(join(tmpdir(), 'gokernel-widgets-'));
writeFileSync(join(work, 'widgets.ipynb'), JSON.stringify(notebook));
const settings = join(work, 'settings');
mkdirSync(join(settings, '@jupyterlab', 'apputils-extension'), { recursive: true });
writeFileSync(join(settings, '@jupyterlab', 'apputils-extension', 'notification.jupyterlab-settings'),
  JSON.stringify({ fetchNews: 'false' }));
const port = await freePort();
const token = randomBytes(16).toString('hex');
const lab = spawn('jupyter', ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
  `--IdentityProvider.token=${token}`, '--allow-root', '--ServerApp.root_dir=' + work,
  '--LabApp.expose_app_in_browser=True', '--ServerApp.disable_check_xsrf=True',
  '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
  '--LabApp.user_settings_dir=' + settings],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let labLog = '';
let labExited = null;
lab.on('exit', code => { labExited = code; });
lab.stdout.on('data', d => { labLog += d; });
lab.stderr.on('data', d => { labLog += d; });

// The text of the Interact's output area (inside the widget, not the cell).
const outputText = page => page.evaluate(() =>
  [...document.querySelectorAll('.widget-output, .jupyter-widget-output, .jupyter-widgets-output-area')].map(e => e.innerText).join('\n'));

let browser;
let page;
let failed = false;
const pageErrors = [];
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
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', e => pageErrors.push(String(e)));
  const openNotebook = async () => {
    await page.goto(`${base}/lab/tree/widgets.ipynb?token=${token}`);
    await waitFor('the notebook and its kernel', () => page.evaluate(() => {
      const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
      const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
      return k && k.status === 'idle';
    }), 90000);
  };
  await openNotebook();
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  await waitFor('the slider to render', () => page.$('.widget-slider .noUi-handle'), 60000);
  await waitFor('the first run in the output widget', async () => (await outputText(page)).includes('square of 10 is 100'), 30000);
  // Move the slider as a user does: focus its handle, press the arrow key.
  await page.focus('.widget-slider .noUi-handle');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await waitFor('the output to follow the slider', async () => (await outputText(page)).includes('square of 15 is 225'), 30000);
  const shown = await outputText(page);
  if (shown.includes('square of 10 is 100')) { failed = true; console.error('the old output was not replaced:', shown); }
  // A panicking observer: its error shows under the cell that made the widget.
  const handles = await page.$$('.widget-slider .noUi-handle');
  await handles[1].focus();
  await page.keyboard.press('ArrowRight');
  const errText = await waitFor('the observer\'s error under its cell', () => page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const cell = w.content.widgets[1];
    const t = cell.outputArea.node.innerText;
    return t.includes('observer refuses 1') && t;
  }), 30000).catch(e => { failed = true; console.error(e.message); return ''; });
  console.log('observer panic shown under its cell:', JSON.stringify(errText.split('\n').find(l => l.includes('refuses')) || ''));
  await page.screenshot({ path: join(artifacts, 'widgets.png') });
  console.log('slider moved to 15: the Interact output says', JSON.stringify(shown.trim()));
  // Save, reload the page: the widget comes back from the kernel.
  await page.evaluate(() => window.jupyterapp.commands.execute('docmanager:save'));
  await page.waitForTimeout(1000);
  await openNotebook();
  const readout = await waitFor('the slider after a reload', () => page.evaluate(() => {
    const r = document.querySelector('.widget-slider .widget-readout');
    return r && r.innerText.trim();
  }), 60000);
  console.log('after a reload the slider reads', readout);
  if (readout !== '15') { failed = true; console.error(`slider readout after reload: ${readout}, want 15`); }
  if (pageErrors.length) console.log('page errors (not failing the test):\n  ' + pageErrors.join('\n  '));
} catch (e) {
  failed = true;
  console.error('widgets browser test failed:', e.message);
  if (page) {
    await page.screenshot({ path: join(artifacts, 'widgets-failed.png') }).catch(() => {});
    const outs = await page.evaluate(() => {
      const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
      return w && w.content ? [...w.content.model.cells].map(c => JSON.stringify(c.outputs.toJSON())).join('\n') : '';
    }).catch(() => '');
    console.error('cell outputs:', outs.slice(0, 3000));
    if (pageErrors.length) console.error('page errors:\n  ' + pageErrors.join('\n  '));
  }
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
