"""Money under French rules: donations (L52-8), the ceiling (L52-11), expenses, receipts and the
compte de campagne (L52-12), kept by the mandataire financier."""
