# ProviderConfig and DecisionCacheEntry moved to simnet.providers with their tables: state only, no SQL.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0001_initial'),
        ('simulations', '0004_action_seen_feed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='backtest',
                    name='provider_config',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='providers.providerconfig'),
                ),
                migrations.AlterField(
                    model_name='scenario',
                    name='provider',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='providers.providerconfig'),
                ),
                migrations.DeleteModel(
                    name='DecisionCacheEntry',
                ),
                migrations.DeleteModel(
                    name='ProviderConfig',
                ),
            ],
        ),
    ]
