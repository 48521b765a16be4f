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
import { join } from 'node:path';
import { labCommand, openNotebook, runLabTest, screenshot, startLab, waitFor, writeNotebook } from './lab.mjs';

const lab = await startLab('gokernel-widgets-', work => writeNotebook(join(work, 'widgets.ipynb'), [
  'n := widgets.NewIntSlider("n", 0, 100, 10)\n' +
    'widgets.Interact(func() { fmt.Printf("square of %d is %d\\n", n.Value(), n.Value()*n.Value()) }, n)',
  'bad := widgets.NewIntSlider("bad", 0, 10, 0)\n' +
    'bad.Observe(func(v int) { panic(fmt.Sprintf("observer refuses %d", v)) })\n' +
    'bad',
]));

// The text of the Interact's output area (inside the widget, not the cell).
const outputText = page => page.evaluate(() =>
  [...document.querySelectorAll('.widget-output, .jupyter-widget-output, .jupyter-widgets-output-area')].map(e => e.innerText).join('\n'));

// On an exception, what the page and the kernel showed: the screenshot and
// the cells' outputs usually say which step stalled.
const onError = async page => {
  await screenshot(page, 'widgets-failed.png').catch(() => {});
  const outs = await page.evaluate(() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return w && w.content ? [...w.content.model.cells].map(c => JSON.stringify(c.outputs.toJSON())).join('\n') : '';
  }).catch(() => '');
  console.error('cell outputs:', outs.slice(0, 3000));
  if (lab.pageErrors.length) console.error('page errors:\n  ' + lab.pageErrors.join('\n  '));
};

await runLabTest({ label: 'widgets browser test', lab, viewport: { width: 1200, height: 800 }, onError }, async (page, fail) => {
  await openNotebook(page, lab, 'widgets.ipynb');
  await labCommand(page, 'notebook:run-all-cells');
  await waitFor('the slider to render', () => page.$('.widget-slider .noUi-handle'), 60000);
  await waitFor('the first run in the output widget', async () => (await outputText(page)).includes('square of 10 is 100'), 30000);
  // Move the slider as a user does: focus its handle, press the arrow key.
  await page.focus('.widget-slider .noUi-handle');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await waitFor('the output to follow the slider', async () => (await outputText(page)).includes('square of 15 is 225'), 30000);
  const shown = await outputText(page);
  if (shown.includes('square of 10 is 100')) fail('the old output was not replaced:', shown);
  // A panicking observer: its error shows under the cell that made the widget.
  const handles = await page.$$('.widget-slider .noUi-handle');
  await handles[1].focus();
  await page.keyboard.press('ArrowRight');
  const errText = await waitFor('the observer\'s error under its cell', () => page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const cell = w.content.widgets[1];
    const t = cell.outputArea.node.innerText;
    return t.includes('observer refuses 1') && t;
  }), 30000).catch(e => { fail(e.message); return ''; });
  console.log('observer panic shown under its cell:', JSON.stringify(errText.split('\n').find(l => l.includes('refuses')) || ''));
  await screenshot(page, 'widgets.png');
  console.log('slider moved to 15: the Interact output says', JSON.stringify(shown.trim()));
  // Save, reload the page: the widget comes back from the kernel.
  await labCommand(page, 'docmanager:save');
  await page.waitForTimeout(1000);
  await openNotebook(page, lab, 'widgets.ipynb');
  const readout = await waitFor('the slider after a reload', () => page.evaluate(() => {
    const r = document.querySelector('.widget-slider .widget-readout');
    return r && r.innerText.trim();
  }), 60000);
  console.log('after a reload the slider reads', readout);
  if (readout !== '15') fail(`slider readout after reload: ${readout}, want 15`);
  if (lab.pageErrors.length) console.log('page errors (not failing the test):\n  ' + lab.pageErrors.join('\n  '));
});
