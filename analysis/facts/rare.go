package facts

// The methods below read File.Rare's fields, answering the zero value when a
// file has none of them.

// rare is f.Rare, made when the extractor first sets one of its fields.
func (f *File) rare() *Rare {
	if f.Rare == nil {
		f.Rare = &Rare{}
	}
	return f.Rare
}

// Aliases is Rare.Aliases.
func (f *File) Aliases() []ImportName {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Aliases
}

// Registrations is Rare.Registrations.
func (f *File) Registrations() []Registration {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Registrations
}

// Events is Rare.Events.
func (f *File) Events() []Event {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Events
}

// Services is Rare.Services.
func (f *File) Services() []Service {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Services
}

// MiddlewareUses is Rare.MiddlewareUses.
func (f *File) MiddlewareUses() []Key {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.MiddlewareUses
}

// EventUses is Rare.EventUses.
func (f *File) EventUses() []EventUse {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.EventUses
}

// TableUses is Rare.TableUses.
func (f *File) TableUses() []TableUse {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.TableUses
}

// NamedCalls is Rare.NamedCalls.
func (f *File) NamedCalls() []NamedCall {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.NamedCalls
}

// Mounts is Rare.Mounts.
func (f *File) Mounts() []Mount {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Mounts
}

// Servers is Rare.Servers.
func (f *File) Servers() []Key {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Servers
}

// StdoutWrites is Rare.StdoutWrites.
func (f *File) StdoutWrites() []StdoutWrite {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.StdoutWrites
}

// ProcessRegistrations is Rare.ProcessRegistrations.
func (f *File) ProcessRegistrations() []ProcessRegistration {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.ProcessRegistrations
}

// MiddlewarePushes is Rare.MiddlewarePushes.
func (f *File) MiddlewarePushes() []MiddlewareUse {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.MiddlewarePushes
}

// RouteStacks is Rare.RouteStacks.
func (f *File) RouteStacks() []RouteStack {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.RouteStacks
}

// CronSchedules is Rare.CronSchedules.
func (f *File) CronSchedules() []CronSchedule {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.CronSchedules
}

// EventCalls is Rare.EventCalls.
func (f *File) EventCalls() []EventUse {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.EventCalls
}

// EventsUnknown is Rare.EventsUnknown.
func (f *File) EventsUnknown() bool {
	if f.Rare == nil {
		return false
	}
	return f.Rare.EventsUnknown
}

// ServiceRegs is Rare.ServiceRegs.
func (f *File) ServiceRegs() []ServiceReg {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.ServiceRegs
}

// Jobs is Rare.Jobs.
func (f *File) Jobs() JobFacts {
	if f.Rare == nil {
		return JobFacts{}
	}
	return f.Rare.Jobs
}

// Workflows is Rare.Workflows.
func (f *File) Workflows() []Workflow {
	if f.Rare == nil {
		return nil
	}
	return f.Rare.Workflows
}

// PatchesRouteBuilder is Rare.PatchesRouteBuilder.
func (f *File) PatchesRouteBuilder() bool {
	if f.Rare == nil {
		return false
	}
	return f.Rare.PatchesRouteBuilder
}
