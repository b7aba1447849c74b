package entity

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
)

// DemoUSCC returns the n-th code of the demo register's fictional
// businesses (region 99xxxx).
func DemoUSCC(n int) string {
	body := fmt.Sprintf("91990102MA%07d", 9000+n)
	return body + string(ids.USCCCheck(body))
}

// SeedDemo registers the demo city's businesses: first, in the order
// given, the codes the other demo data names (the demo enterprise's first),
// then a few more, and the facts departments shared about the first.
func SeedDemo(ctx context.Context, s *Service, named ...string) error {
	sys := auth.System()
	names := []string{"云澜味道餐饮有限公司", "云澜江景商贸有限公司", "临江区晨光便利店", "青山云杉科技有限公司", "云澜新港物流有限公司",
		"临江区老街茶馆", "云澜创新材料股份有限公司", "青山区绿野农民专业合作社"}
	regions := []string{"990102", "990102", "990102", "990103", "990104", "990102", "990103", "990103"}
	types := []string{"有限责任公司", "有限责任公司", "个体工商户", "有限责任公司", "有限责任公司", "个体工商户", "股份有限公司", "农民专业合作社"}
	codes := append([]string{}, named...)
	for i := len(codes); i < len(names); i++ {
		codes = append(codes, DemoUSCC(i))
	}
	for i, code := range codes {
		k := i % len(names)
		status := "存续"
		if i == len(codes)-1 {
			status = "注销"
		}
		if _, _, err := s.Put(ctx, sys, Input{USCC: code, Name: names[k], Type: types[k], LegalRep: "李娜", Address: "云澜市滨江路" +
			fmt.Sprint(10+i) + "号", RegionCode: regions[k], Industry: "H6210", CapitalYuan: int64(500000 * (i + 1)),
			EstablishedOn: "2019-05-20", Status: status, Scope: "餐饮服务；日用百货销售"}); err != nil {
			return fmt.Errorf("entity: seed %s: %w", code, err)
		}
	}
	asOf := calendar.DateOf(s.d.Now()).AddDays(-30).String()
	_, err := s.PutFacts(ctx, sys, codes[0], []FactInput{{Name: "employees", Value: "36", AsOf: asOf},
		{Name: "revenue", Value: "4200000.00", AsOf: asOf}, {Name: "tax_paid", Value: "186000.50", AsOf: asOf},
		{Name: "high_tech", Value: "否", AsOf: asOf}, {Name: "specialised_level", Value: "创新型中小企业", AsOf: asOf}})
	if err != nil {
		return fmt.Errorf("entity: seed facts: %w", err)
	}
	return nil
}
