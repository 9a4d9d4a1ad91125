import LeadScoreCLI
LeadScoreCommand.main()
