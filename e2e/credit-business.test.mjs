// Issue 8, the business's path (see credit.test.mjs): listed as abnormal on
// 1 July for a missed annual report, it files the report, is removed on
// application, downloads a signed credit report that verifies at its QR
// link and uses it for a shared 无违法违规记录证明 (已共享). Its pages are
// measured at 390×844.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';
import { laptop, demoUSCC, tag } from './credit.mjs';

test('a business listed on 1 July files its report, is removed on application and uses its signed credit report', async () => {
  const biz = await open('yunlan_food');
  await check(biz.page, '/annual-reports/mine', 'credit-e2e-annual-reports');
  const listed = biz.page.locator('tr', { hasText: '市监异' }).first();
  const listedText = await listed.innerText();
  const year = Number(listedText.match(/(20\d\d)-0?7-01/)?.[1]);
  assert.ok(year, 'listed on 1 July: ' + listedText);
  // File the missed report (the previous year's).
  await check(biz.page, `/annual-reports/mine/${year - 1}`, 'credit-e2e-annual-report-form');
  const f = biz.page;
  await f.locator('#postcode').fill('990102');
  await f.locator('#phone').fill('0990-88886666');
  for (const [k, v] of Object.entries({ employees: '12', assets: '3000000', liabilities: '800000', guarantees: '0',
    equity: '2200000', revenue: '5600000', main_revenue: '5400000', profit: '420000', net_profit: '360000', tax: '180000' })) {
    await f.locator('#fig_' + k).fill(v);
  }
  await Promise.all([f.waitForNavigation(), f.getByRole('button', { name: '报送' }).click()]);
  await check(biz.page, '/annual-reports/mine', 'credit-e2e-annual-reports-filed');
  await Promise.all([f.waitForNavigation(), f.getByRole('button', { name: '申请移出' }).first().click()]);
  await f.getByText('移出申请审核中').first().waitFor();

  // The officer decides the removal.
  const officer = await open('handler_scj', laptop);
  await officer.page.goto(base + '/annual-reports/removals');
  const item = officer.page.locator('tr', { hasText: demoUSCC }).first();
  await item.locator('input[name="decision_no"]').fill(`临市监移〔2026〕E${tag}号`);
  await Promise.all([officer.page.waitForNavigation(), item.getByRole('button', { name: '决定移出' }).click()]);
  await officer.context.close();
  await check(biz.page, '/annual-reports/mine', 'credit-e2e-annual-reports-removed');
  await biz.page.getByText('已移出').first().waitFor();

  // A signed 专用信用报告 that verifies at its QR link.
  await check(biz.page, '/credit/my', 'credit-e2e-my');
  await Promise.all([f.waitForNavigation(), f.locator('form[action="/credit/my/reports"] button[type="submit"]').click()]);
  assert.match(new URL(f.url()).pathname, /^\/credit\/reports\/\d+$/);
  await check(biz.page, '', 'credit-e2e-report');
  const verify = await f.locator('.report .sig').innerText();
  const pub = await open('');
  await check(pub.page, new URL(verify).pathname, 'credit-e2e-verify');
  await pub.page.getByText('签名有效', { exact: false }).first().waitFor();
  await pub.context.close();

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
