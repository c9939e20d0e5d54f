package httpapi

import (
	"context"

	"github.com/google/uuid"
)

// ongoingChat is a signed-in youth's open conversation as "Mina bokningar"
// and the start page mention it: the kommun's name and the chat page.
type ongoingChat struct {
	Kommun, URL string
}

// ongoingChats lists the signed-in youth's open conversations, one line
// per kommun; nothing for anyone else or without the chat.
func (s *Server) ongoingChats(ctx context.Context) ([]ongoingChat, error) {
	db, ok := s.accountDB.(chatDB)
	if !ok {
		return nil, nil
	}
	convs, err := db.Chat().OpenOfAccount(ctx)
	if err != nil || len(convs) == 0 {
		return nil, err
	}
	ks, err := s.store.Kommuner(ctx)
	if err != nil {
		return nil, err
	}
	var out []ongoingChat
	seen := map[uuid.UUID]bool{}
	for _, c := range convs {
		for _, k := range ks {
			if k.ID == c.KommunID && !seen[k.ID] {
				seen[k.ID] = true
				out = append(out, ongoingChat{Kommun: k.Name, URL: "/" + k.Slug + "/chatt"})
			}
		}
	}
	return out, nil
}
