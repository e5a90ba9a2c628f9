module beamstack/rategen

go 1.21
