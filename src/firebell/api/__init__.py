"""HTTP plumbing shared by every domain's routes: dependencies, problem responses, clock."""
