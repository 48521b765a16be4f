// Browser test of the debugger: JupyterLab 4 in Debian's headless Chromium,
// driven by playwright-core. It opens a two-cell notebook, turns the
// debugger on with the notebook toolbar's bug button, sets a breakpoint by
// clicking the gutter of line 3 of the cell that defines f, runs the cell
// that calls f, and checks that the Callstack panel shows f and the
// Variables panel shows f's variables; then Continue lets the cell finish.
// Saves a screenshot in $GOKERNEL_ARTIFACTS/browser/debugger.png.
//
//   node notebooks/tests/debugger.mjs
//
// Needs `jupyter` on PATH and the gokernel kernelspec in $JUPYTER_DATA_DIR,
// as browser.mjs.
import { join } from 'node:path';
import { labCommand, openNotebook, runCell, runLabTest, screenshot, startLab, waitFor, writeNotebook } from './lab.mjs';

const lab = await startLab('gokernel-dbg-', work => writeNotebook(join(work, 'debug.ipynb'),
  ['func f(n int) int {\n\tx := n * 2\n\tx++\n\treturn x\n}', 'f(20)']));

await runLabTest({ label: 'debugger browser test', lab, viewport: { width: 1400, height: 1000 } }, async (page, fail) => {
  await openNotebook(page, lab, 'debug.ipynb');

  // The bug button appears once the kernel said debugger: true.
  const bug = await waitFor('the debugger button', async () => {
    const b = await page.$('.jp-DebuggerBugButton');
    return b && (await b.isVisible()) && b;
  }, 30000);
  await bug.click();
  await waitFor('the debugger to start', () => page.evaluate(
    () => document.querySelector('.jp-DebuggerBugButton[aria-pressed="true"]') !== null), 30000);

  // Run the cell that defines f.
  await runCell(page, 0);
  await waitFor('cell 1 to run', () => page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    return w.content.model.cells.get(0).executionCount !== null && w.sessionContext.session.kernel.status === 'idle';
  }), 60000);

  // Click the breakpoint gutter beside line 3 of the first cell.
  const first = page.locator('.jp-Notebook .jp-Cell').nth(0);
  const line = await first.locator('.cm-line').nth(2).boundingBox();
  const gutter = await first.locator('.cm-breakpoint-gutter').first().boundingBox();
  await page.mouse.click(gutter.x + gutter.width / 2, line.y + line.height / 2);
  await waitFor('the breakpoint marker', () => page.evaluate(
    () => document.querySelectorAll('.jp-Notebook .cm-breakpoint-gutter .cm-breakpoint-icon').length > 0), 10000);
  // The Breakpoints panel lists it once the kernel has answered setBreakpoints.
  const listed = await waitFor('the Breakpoints panel', () => page.evaluate(() => {
    const b = document.querySelector('.jp-DebuggerBreakpoint-line');
    return b && b.textContent.trim();
  }), 30000);
  if (listed !== '3') fail(`the breakpoint is on line ${listed}, want 3`);

  // Run the cell that calls f: it stops at the breakpoint.
  await runCell(page, 1);
  const frames = await waitFor('the call stack', () => page.evaluate(() => {
    const names = [...document.querySelectorAll('.jp-DebuggerCallstackFrame-name')].map(e => e.textContent.trim());
    return names.length > 0 && names;
  }), 60000);
  const vars = await waitFor('the variables', () => page.evaluate(() => {
    const text = [...document.querySelectorAll('.jp-DebuggerVariables-body, .jp-DebuggerVariables')]
      .map(e => e.innerText).join('\n');
    return /\bn\b/.test(text) && /\bx\b/.test(text) && /40/.test(text) && text;
  }), 30000);
  await screenshot(page, 'debugger.png');
  console.log(`stopped: call stack ${JSON.stringify(frames)}; variables panel shows n, x = 40`);
  if (frames[0] !== 'f') fail(`top frame is ${frames[0]}, want f`);

  await labCommand(page, 'debugger:continue');
  const out = await waitFor('cell 2 to finish', () => page.evaluate(() => {
    const c = window.jupyterapp.shell.currentWidget.content.model.cells.get(1);
    for (let i = 0; i < c.outputs.length; i++) {
      const o = c.outputs.get(i).toJSON();
      if (o.output_type === 'execute_result') return o.data['text/plain'];
      if (o.output_type === 'error') return `${o.ename}: ${o.evalue}`;
    }
    return null;
  }), 60000);
  console.log(`after continue, cell 2 shows ${out}`);
  if (out !== '41') fail(`cell 2 shows ${out}, want 41`);
  void vars;
});
