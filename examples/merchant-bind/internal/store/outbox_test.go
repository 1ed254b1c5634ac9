package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutbox(t *testing.T) {
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m, err := db.CreateMerchant(ctx, MerchantInput{Name: "老王面馆", Login: "laowang"}, t0)
		require.NoError(t, err)
		enqueue := func(idem string, at time.Time) (*Message, error) {
			msg := &Message{MerchantID: m.ID, Kind: KindNotify, OpenID: "oBoss", TemplateID: "tpl",
				Payload: Payload{Data: map[string]string{"thing1": "老王面馆", "content": "结算单已生成"}, URL: "https://x.test/1", Text: "【通知】结算单已生成"},
				Summary: "结算单已生成", ClientMsgID: "mb-" + idem, IdemKey: idem, NextAttemptAt: at, DeadlineAt: at.Add(4 * time.Hour),
				CreatedAt: at, CreatedBy: "admin"}
			return msg, db.InTx(ctx, func(tx *Tx) error { return tx.Enqueue(ctx, msg) })
		}
		a, err := enqueue("form:1", t0)
		require.NoError(t, err)
		require.NotZero(t, a.ID)
		_, err = enqueue("form:1", t0)
		assert.ErrorIs(t, err, ErrDuplicate, "one message per idempotency key")
		byKey, err := db.MessageByIdemKey(ctx, "form:1")
		require.NoError(t, err)
		assert.Equal(t, a.ID, byKey.ID)
		assert.Equal(t, "结算单已生成", byKey.Payload.Data["content"])
		assert.Equal(t, MsgPending, byKey.Status)
		assert.Equal(t, ChannelTemplate, byKey.Channel)
		b, err := enqueue("", t0.Add(time.Minute))
		require.NoError(t, err)

		due, err := db.DueMessages(ctx, t0, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, a.ID, due[0].ID)
		next, err := db.NextDue(ctx)
		require.NoError(t, err)
		assert.Equal(t, t0.Unix(), next.Unix())

		// A claim leases the message; a second claim finds it taken.
		got, att1, err := db.ClaimMessage(ctx, a.ID, t0, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 1, got.Attempts)
		_, _, err = db.ClaimMessage(ctx, a.ID, t0, t0.Add(time.Minute))
		assert.ErrorIs(t, err, ErrConflict)

		// The process dies; after the lease the message is due again, and the attempt it left is
		// marked interrupted.
		due, err = db.DueMessages(ctx, t0.Add(2*time.Minute), 10)
		require.NoError(t, err)
		assert.Len(t, due, 2)
		_, att2, err := db.ClaimMessage(ctx, a.ID, t0.Add(2*time.Minute), t0.Add(3*time.Minute))
		require.NoError(t, err)
		ours, err := db.FinishAttempt(ctx, a.ID, att1, AttemptResult{At: t0, Channel: ChannelTemplate, Result: AttemptOK},
			NextState{Status: MsgSent}, nil)
		require.NoError(t, err)
		assert.False(t, ours, "the first worker lost its lease: its late result changes nothing")

		ours, err = db.FinishAttempt(ctx, a.ID, att2, AttemptResult{At: t0.Add(2 * time.Minute), Channel: ChannelTemplate,
			Result: AttemptError, ErrCode: 45009, Detail: "errcode=45009 api freq out of limit"},
			NextState{Status: MsgPending, Channel: ChannelTemplate, NextAttemptAt: t0.Add(5 * time.Minute), DeadlineAt: t0.Add(4 * time.Hour),
				LastError: "errcode=45009"}, &AuditEntry{Who: "system", What: "notify.retry", MerchantID: m.ID, When: t0})
		require.NoError(t, err)
		assert.True(t, ours)
		_, att3, err := db.ClaimMessage(ctx, a.ID, t0.Add(5*time.Minute), t0.Add(6*time.Minute))
		require.NoError(t, err)
		ours, err = db.FinishAttempt(ctx, a.ID, att3, AttemptResult{At: t0.Add(5 * time.Minute), Channel: ChannelCustom, Result: AttemptOK},
			NextState{Status: MsgSent, Channel: ChannelCustom, MsgID: "", NextAttemptAt: t0.Add(5 * time.Minute), DeadlineAt: t0.Add(4 * time.Hour)}, nil)
		require.NoError(t, err)
		assert.True(t, ours)

		got, err = db.Message(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, MsgSent, got.Status)
		assert.Equal(t, ChannelCustom, got.Channel)
		assert.Equal(t, 3, got.Attempts)
		assert.Equal(t, t0.Add(5*time.Minute).Unix(), got.FinishedAt.Unix())
		atts, err := db.Attempts(ctx, []int64{a.ID, b.ID})
		require.NoError(t, err)
		require.Len(t, atts[a.ID], 3)
		assert.Equal(t, AttemptInterrupted, atts[a.ID][0].Result)
		assert.Equal(t, AttemptError, atts[a.ID][1].Result)
		assert.Equal(t, 45009, atts[a.ID][1].ErrCode)
		assert.Equal(t, AttemptOK, atts[a.ID][2].Result)
		assert.Equal(t, ChannelCustom, atts[a.ID][2].Channel)
		assert.Empty(t, atts[b.ID])
		log, _, err := db.AuditLog(ctx, AuditQuery{Prefix: "notify."})
		require.NoError(t, err)
		assert.Len(t, log, 1, "the audit entry is written with the attempt")

		// 重发: only a failed message goes back to the queue.
		assert.ErrorIs(t, db.ResendMessage(ctx, a.ID, ChannelTemplate, t0, t0.Add(time.Hour), nil), ErrConflict)
		assert.ErrorIs(t, db.ResendMessage(ctx, 999, ChannelTemplate, t0, t0.Add(time.Hour), nil), ErrNotFound)
		_, att, err := db.ClaimMessage(ctx, b.ID, t0.Add(time.Minute), t0.Add(2*time.Minute))
		require.NoError(t, err)
		_, err = db.FinishAttempt(ctx, b.ID, att, AttemptResult{At: t0.Add(time.Minute), Channel: ChannelTemplate, Result: AttemptError, ErrCode: 43004},
			NextState{Status: MsgFailed, Channel: ChannelTemplate, NextAttemptAt: t0, DeadlineAt: t0, LastError: "require subscribe"}, nil)
		require.NoError(t, err)
		require.NoError(t, db.ResendMessage(ctx, b.ID, ChannelTemplate, t0.Add(time.Hour), t0.Add(5*time.Hour), nil))
		got, err = db.Message(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, MsgPending, got.Status)
		assert.True(t, got.FinishedAt.IsZero())
		list, err := db.MerchantMessages(ctx, m.ID, 10)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, b.ID, list[0].ID, "newest first")
	})
}
