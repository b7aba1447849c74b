// Issue 8, the business's path (see credit.test.mjs): listed as abnormal on
// 1 July for a missed annual report, it files the report, is removed on
// application and downloads a signed credit report that verifies at its QR
// link. Its pages are measured at 390×844. Using the report for a shared
// 无违法违规记录证明 is credit-report-material.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';
import { laptop, demoUSCC, tag } from './credit.mjs';

test('a business listed on 1 July files its report, is removed on application and downloads a signed credit report that verifies', async () => {
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

  await biz.context.close();
});
