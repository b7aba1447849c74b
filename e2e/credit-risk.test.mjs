// Issue 8, the risk model (see credit.test.mjs): an administrator edits,
// tries and publishes it; the scheduler recomputes the classes, whose
// explanation names the new model and each indicator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';
import { laptop, demoUSCC } from './credit.mjs';

test('an administrator edits, tries and publishes the risk model, and the classes recompute with explanations', async () => {
  const { context, page } = await open('admin', laptop);
  await page.goto(base + '/risk/models');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '新建草稿' }).click()]);
  const model = await page.locator('#model').inputValue();
  const edited = model.replace(/"D":\s*\d+/, '"D": 34');
  assert.notEqual(edited, model, 'the D threshold is in the model');
  await page.locator('#model').fill(edited);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '保存草稿' }).click()]);
  const draft = new URL(page.url()).pathname;
  const version = draft.split('/').pop();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '抽样试算' }).click()]);
  await page.getByText(/抽样 \d+ 户/).first().waitFor();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /发布/ }).click()]);
  await context.close();
  // The scheduler recomputes after a publication; the explanation names
  // the new model and each indicator's contribution.
  const officer = await open('handler_scj', laptop);
  let text = '';
  for (let i = 0; i < 50; i++) {
    await officer.page.goto(base + `/risk/classes/${demoUSCC}`);
    text = await officer.page.locator('main').innerText();
    if (text.includes(`v${version}`)) break;
    await officer.page.waitForTimeout(2000);
  }
  assert.ok(text.includes(`v${version}`), 'recomputed with the new model: ' + text.slice(0, 300));
  assert.match(text, /D类起 34 分/);
  assert.match(text, /各项指标/);
  assert.match(text, /近三年行政处罚/);
  await officer.context.close();
});
