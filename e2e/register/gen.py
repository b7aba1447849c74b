#!/usr/bin/env python3
"""Writes regN.csv: N fictional businesses of the demo city (region 99xxxx, valid
统一社会信用代码 and 居民身份证号 check characters) in the column layout that
`yingshang entity import` reads. Usage: python3 e2e/register/gen.py 1000000"""
import sys

n = int(sys.argv[1])
chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
iw = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def uscc(body):
    c = 31 - sum(chars.index(ch) * w[i] for i, ch in enumerate(body)) % 31
    return body + chars[0 if c == 31 else c]


def cid(body):
    return body + "10X98765432"[sum(int(ch) * iw[i] for i, ch in enumerate(body)) % 11]


types = ["有限责任公司", "个体工商户", "股份有限公司", "个人独资企业", "农民专业合作社"]
industries = ["F5211", "H6210", "I6510", "C1391", "E4813", "K7020", "M7320"]
regions = ["990102", "990103", "990104"]
with open(f"reg{n}.csv", "w") as out:
    out.write("统一社会信用代码,名称,类型,法定代表人,法定代表人身份证号,住所,行政区划代码,行业代码,注册资本（万元）,成立日期,登记状态,经营范围\n")
    for i in range(n):
        r = regions[i % 3]
        rep = cid("%s19%02d%02d%02d%03d" % (r, 60 + i % 40, 1 + i % 12, 1 + i % 28, i % 1000))
        out.write(f"{uscc('92' + r + '%09d' % i)},云澜测试商贸有限公司{i},{types[i % 5]},李{i % 97},{rep},"
                  f"云澜市滨江路{i}号,{r},{industries[i % 7]},{i % 500 + 1},20{10 + i % 15:02d}-{1 + i % 12:02d}-{1 + i % 28:02d},存续,日用百货销售\n")
