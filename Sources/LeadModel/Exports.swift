@_exported import LeadData
