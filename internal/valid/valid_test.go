package valid

import (
	"errors"
	"fmt"
	"testing"
)

func TestProblems(t *testing.T) {
	var p Problems
	if p.Err() != nil {
		t.Fatal("no problems, yet an error")
	}
	p.Add("name", "必填 (required)")
	p.Add("materials[%d].class", "unused %s", "x") // the format applies to the message only
	err := fmt.Errorf("catalog: save: %w", p.Err())
	if !errors.Is(err, ErrInvalid) {
		t.Error("joined field errors do not match ErrInvalid")
	}
	fs := Fields(err)
	if len(fs) != 2 || fs[0].Field() != "name" || fs[1].Message != "unused x" {
		t.Errorf("Fields = %+v", fs)
	}
	if Fields(errors.New("other")) != nil {
		t.Error("a plain error has field errors")
	}
}
