// Browser test: JupyterLab 4 in Debian's headless Chromium, driven by
// playwright-core. It opens a lesson, runs all cells, and checks that no
// cell raised an error, that tables and Vega-Lite charts rendered, and saves
// a screenshot in $GOKERNEL_ARTIFACTS/browser/ (README: "Testing").
//
//   node notebooks/tests/browser.mjs [lessons/NN-name.ipynb]
//
// Needs `jupyter` (from .ci/setup's virtualenv) on PATH and the gokernel
// kernelspec in $JUPYTER_DATA_DIR (.ci/test installs both).
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactsDir, labCommand, openNotebook, runLabTest, screenshot, startLab, waitFor } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const lesson = process.argv[2] || 'lessons/03-concurrency-is-not-parallelism.ipynb';
const artifacts = artifactsDir();

// JupyterLab serves a copy of notebooks/: running the lesson and saving
// the executed copy below leave the repository untouched.
const lab = await startLab('gokernel-lab-', work => {
  cpSync(join(here, '..'), join(work, 'notebooks'), {
    recursive: true,
    filter: src => !src.includes('node_modules') && !src.includes('.ipynb_checkpoints'),
  });
  return join(work, 'notebooks');
});

await runLabTest({ label: 'browser test', lab, viewport: { width: 1400, height: 1000 } }, async (page, fail) => {
  await openNotebook(page, lab, lesson, { kernelDisplayName: 'Go' });
  const t0 = Date.now();
  await labCommand(page, 'notebook:run-all-cells');
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
  await screenshot(page, 'lesson.png');
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
    await screenshot(page, 'chart.png');
  }
  console.log(`ran ${lesson} in ${runSeconds.toFixed(1)} s: ${report.tables} tables, ${report.charts} charts, ${report.errors.length} errors`);
  if (report.errors.length) fail('error outputs:\n  ' + report.errors.join('\n  '));
  if (report.tables === 0) fail('no table rendered');
  if (report.charts === 0) fail('no Vega-Lite chart rendered');
  if (lab.pageErrors.length) console.log('page errors (not failing the test):\n  ' + lab.pageErrors.join('\n  '));
  // A notebook executed elsewhere (here by `gokernel execute`) opens
  // untrusted: JupyterLab then hides HTML and SVG outputs, but its charts
  // (Vega-Lite) must still show.
  const bin = process.env.GOKERNEL_BIN;
  if (bin) {
    const saved = join(lab.root, 'executed-untrusted.ipynb');
    const r = spawnSync(bin, ['execute', '--quiet', '--output', saved, join(lab.root, lesson)],
      { cwd: join(lab.root, 'lessons'), encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) fail('gokernel execute failed:', r.stderr);
    else {
      await page.goto(lab.treeURL('executed-untrusted.ipynb'));
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
      if (!saved.untrusted) fail('the executed copy was trusted: the check proves nothing');
      if (saved.charts === 0) fail('no chart rendered in the untrusted notebook');
      const chart2 = await page.$('.vega-embed');
      if (chart2) { await chart2.scrollIntoViewIfNeeded(); await screenshot(page, 'untrusted-chart.png'); }
    }
  }
  console.log(`screenshots in ${artifacts}`);
});
