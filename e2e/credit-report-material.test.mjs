// Issue 8, 专用信用报告 in place of 无违法违规记录证明 (see credit.test.mjs):
// the demo business downloads a signed report and applies for 建筑业企业资质核准,
// whose shared material the report satisfies: no upload; the department
// sees it as 已共享 with the link to its verification. At 390×844.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';
import { laptop } from './credit.mjs';

test('a signed credit report satisfies the shared 无违法违规记录证明 of an application', async () => {
  const biz = await open('yunlan_food');
  const f = biz.page;
  await check(biz.page, '/credit/my', 'credit-e2e-my-report');
  await Promise.all([f.waitForNavigation(), f.locator('form[action="/credit/my/reports"] button[type="submit"]').click()]);
  assert.match(new URL(f.url()).pathname, /^\/credit\/reports\/\d+$/);
  // The report satisfies the shared 无违法违规记录证明 of 建筑业企业资质核准:
  // no upload, 已共享 with the link to its verification.
  await check(biz.page, '/apply/990100-XK-203', 'credit-e2e-apply-report');
  const options = await f.locator('select[name^="report_"] option').count();
  assert.ok(options >= 1, 'the new report is offered');
  for (const input of await f.locator('input[type="file"][name^="file_"]').all()) {
    const name = await input.getAttribute('name');
    const material = await f.locator(`#${name}`).locator('xpath=ancestor::div[contains(@class,"material")]').innerText();
    if (/营业执照|无违法违规记录证明|委托/.test(material)) continue;
    await input.setInputFiles({ name: name + '.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  }
  for (const c of await f.locator('input[type="checkbox"][name^="consent_"]').all()) await c.check();
  await Promise.all([f.waitForNavigation(), f.getByRole('button', { name: '提交申请' }).click()]);
  assert.match(new URL(f.url()).pathname, /^\/applications\/\d+$/, 'submitted: ' + f.url());
  const app = new URL(f.url()).pathname;
  await check(biz.page, '', 'credit-e2e-application');
  const approver = await open('approver_scj', laptop);
  const handler = await open('handler_scj', laptop);
  let shown = '';
  for (const p of [handler.page, approver.page]) {
    const resp = await p.goto(base + app);
    if (resp.status() === 200) shown = await p.locator('tr', { hasText: '无违法违规记录证明' }).innerText();
  }
  await handler.context.close();
  await approver.context.close();
  if (!shown) shown = await f.locator('tr', { hasText: '无违法违规记录证明' }).innerText();
  assert.match(shown, /已共享（专用信用报告）/);
  assert.match(shown, /签名有效/);
  await biz.context.close();
});
