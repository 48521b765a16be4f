package rt

// Adopt makes the calling goroutine part of cell c until release is called:
// its output, its interrupts (Tick, Stop) and its blocking waits are c's, as
// for the goroutine that began c. The Jupyter debugger runs a cell's code on
// a goroutine of yaegi's (interp's debugger.go), which adopts itself into
// the cell.
func (c *Cell) Adopt() (release func()) {
	id := GoID()
	prev := owners.load(id)
	owners.store(id, &goroutine{cell: c})
	return func() {
		if prev != nil {
			owners.store(id, prev)
		} else {
			owners.delete(id)
		}
	}
}
