"""``changegate demo``: walks the policy on a throwaway repository, end to end."""
