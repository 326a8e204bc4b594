"""Party scale: an organisation's groups in a tree (national → federations → local groups and
campaigns), roles held on a node and its subtree, content shared down the tree, aggregates
rolled up it, and the sharing of a person with a parent node only on the person's consent."""
