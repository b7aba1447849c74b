package risk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
)

// DemoDeps are what the demo seeding writes through.
type DemoDeps struct {
	Register *entity.Service
	Credit   *credit.Module
}

// SeedDemo registers sixty businesses of the demo city (and the demo
// enterprise when the register lacks it), writes a few years of their credit
// records (annual reports, penalties, inspection findings, complaints),
// lists some of them, and classifies them all, so that the distribution,
// the explanations and a trial of a new model have something to show.
func SeedDemo(ctx context.Context, m *Module, d DemoDeps, enterpriseUSCC string, now time.Time) error {
	sys := auth.System()
	rnd := rand.New(rand.NewPCG(2026, 12))
	today := calendar.DateOf(now)
	ago := func(days int) string { return today.AddDays(-days).String() }
	districts := []string{"990102", "990103", "990104"}
	industries := []string{"H6210", "F5211", "C1391", "E4710", "I6510", "L7212", "Q8411", "G5430", "K7010", "R8710"}
	types := []string{"有限责任公司", "有限责任公司", "个体工商户", "个人独资企业", "股份有限公司"}
	names := []string{"青禾", "澜海", "云岫", "长风", "星桥", "松石", "白鹭", "晴川", "江月", "远山"}
	trades := map[string]string{"H": "餐饮", "F": "商贸", "C": "食品加工", "E": "建筑工程", "I": "软件", "L": "咨询",
		"Q": "诊所", "G": "物流", "K": "置业", "R": "文化传媒"}
	rep := "11010119880615501" + string(ids.CitizenIDCheck("11010119880615501")) // one person represents businesses 7 and 8
	put := func(in entity.Input) error {
		if _, _, err := d.Register.Put(ctx, sys, in); err != nil {
			return fmt.Errorf("risk: seed %s: %w", in.USCC, err)
		}
		return nil
	}
	// The demo enterprise keeps the entry the demo's register gave it, if any.
	if b, err := d.Register.BasicOf(ctx, enterpriseUSCC); err != nil {
		return err
	} else if b == nil {
		if err := put(entity.Input{USCC: enterpriseUSCC, Name: "云澜味道餐饮有限公司", Type: "有限责任公司", LegalRep: "李娜",
			Address: "临江区滨江路88号", RegionCode: "990102", Industry: "H6210", CapitalYuan: 5_000_000,
			EstablishedOn: "2015-04-20", Status: "存续"}); err != nil {
			return err
		}
	}
	rec := func(u string, kind credit.Kind, days int) error {
		in := credit.RecordInput{USCC: u, Kind: kind, DecisionDate: ago(days)}
		if kind == credit.KindPenalty {
			in.Penalty = &credit.Penalty{Procedure: "ordinary", Subject: "organisation", Kinds: []string{"罚款"}, FineYuan: int64(2000 + rnd.IntN(50000))}
		}
		if _, err := d.Credit.AddRecord(ctx, sys, in); err != nil {
			return fmt.Errorf("risk: seed record of %s: %w", u, err)
		}
		return nil
	}
	for _, k := range []struct {
		kind credit.Kind
		days int
	}{{credit.KindAnnualReport, 200}, {credit.KindHonour, 400}, {credit.KindCommitment, 300}, {credit.KindLicense, 900}} {
		if err := rec(enterpriseUSCC, k.kind, k.days); err != nil {
			return err
		}
	}
	for i := 1; i <= 60; i++ {
		region := districts[i%len(districts)]
		body := fmt.Sprintf("91%sMA02RK%03d", region, i)
		u := body + string(ids.USCCCheck(body))
		ind := industries[rnd.IntN(len(industries))]
		in := entity.Input{USCC: u, Name: names[i%len(names)] + trades[ind[:1]] + fmt.Sprintf("%d号有限公司", i), Type: types[rnd.IntN(len(types))],
			LegalRep: "经营者" + fmt.Sprint(i), Address: "云澜市" + fmt.Sprint(i) + "号", RegionCode: region, Industry: ind,
			CapitalYuan: int64(rnd.IntN(2000)+1) * 10_000, EstablishedOn: ago(200 + rnd.IntN(6000)), Status: "存续"}
		if i == 7 || i == 8 {
			in.LegalRepID = rep
		}
		if i%17 == 0 {
			in.Status = "吊销"
		}
		if err := put(in); err != nil {
			return err
		}
		if rnd.IntN(10) < 7 {
			if err := rec(u, credit.KindAnnualReport, 30+rnd.IntN(300)); err != nil {
				return err
			}
		}
		for range rnd.IntN(4) * rnd.IntN(2) {
			if err := rec(u, credit.KindPenalty, 10+rnd.IntN(1000)); err != nil {
				return err
			}
		}
		for range rnd.IntN(3) {
			if err := rec(u, credit.KindComplaint, 5+rnd.IntN(360)); err != nil {
				return err
			}
		}
		if rnd.IntN(6) == 0 {
			if err := rec(u, credit.KindInspection, 20+rnd.IntN(600)); err != nil {
				return err
			}
		}
		if rnd.IntN(8) == 0 {
			if err := rec(u, credit.KindHonour, 20+rnd.IntN(900)); err != nil {
				return err
			}
		}
		listedOn := ""
		switch {
		case i == 8:
			listedOn = ago(1200) // three years on the abnormal list: serious
		case i%11 == 0:
			listedOn = ago(30 + rnd.IntN(300))
		}
		if listedOn != "" {
			if _, err := d.Credit.ListAsAbnormal(ctx, sys, credit.AbnormalInput{USCC: u, Reason: "annual_report", ListedOn: listedOn}); err != nil {
				return fmt.Errorf("risk: seed listing of %s: %w", u, err)
			}
		}
	}
	if _, err := m.RunFull(ctx, RunOptions{}); err != nil {
		return fmt.Errorf("risk: seed: %w", err)
	}
	return nil
}
