package shop

import "fmt"

// CheckNew reports what Register would refuse in a registration without writing anything (an
// import's dry run lists it per row): ErrInvalid with the reason, or nil. Codes taken, request IDs
// and suppliers need the store and are not checked.
func (s *Service) CheckNew(in NewProduct) error {
	in.Photo, in.Photos = nil, nil // photos are checked when scaled
	if err := in.validate(); err != nil {
		return err
	}
	if in.Price > s.max {
		return invalid("price", fmt.Sprintf("售价超过上限 ¥%s", s.max))
	}
	return nil
}
