"""The one service layer that writes HUD records entered in the app.

Clients, households, enrollments, assessments, exits, services and current living
situations are created and changed here, by screens, workflows, jobs and the CLI
alike, so every write is permission-checked, audited and lands in the HUD tables
the export and the reports read.
"""
